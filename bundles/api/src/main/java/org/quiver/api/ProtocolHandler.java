package org.quiver.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Accepts incoming connections of one application protocol. Register it as an OSGi service with the
 * property {@value #ALPN_PROPERTY} set to the ALPN it speaks (the whiteboard pattern); the endpoint routes
 * every accepted connection with that ALPN to it. A connection whose ALPN no handler serves is refused in
 * the TLS handshake.
 */
@ConsumerType
public interface ProtocolHandler {
    /** Service property naming the ALPN (a string, or several) a handler serves. */
    String ALPN_PROPERTY = "quiver.alpn";

    /**
     * Takes an accepted connection. Called on a Quiver handler thread, never on a network event loop;
     * long-running work belongs on the application's own threads. An exception closes the connection.
     */
    void accept(Connection connection) throws Exception;
}
