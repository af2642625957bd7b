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

    /**
     * Whether this protocol may act on data sent in 0-RTT, before the handshake completes. Such data can be
     * <em>replayed</em>: an attacker who recorded a client's first flight can send it again, and the handler would
     * see the same requests again from the same (authenticated) peer. Only a protocol whose requests are harmless
     * to repeat (no state changed, nothing sent elsewhere: a ping, a read of public data) should say true.
     *
     * <p>When true, an accepted connection that resumed a session is handed to this handler with the peer's first
     * flight (its {@link Connection#remoteId()} is the id the resumed session was made with, checked again when the
     * handshake completes), and a dial of this ALPN from this endpoint sends its first streams in 0-RTT. When false
     * (the default), data that arrives in 0-RTT is held until the handshake completes, which a replay never does.
     */
    default boolean replaySafe() {
        return false;
    }
}
