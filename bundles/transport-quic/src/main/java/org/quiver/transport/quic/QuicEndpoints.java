package org.quiver.transport.quic;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.quiver.api.Endpoint;
import org.quiver.api.LocalIdentity;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.transport.quic.impl.EndpointBuilder;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * Plain-Java entry to the QUIC endpoint, for use without the DS component (tests, embedding, several
 * endpoints in one process). The caller owns the endpoint and closes it.
 */
public final class QuicEndpoints {
    private QuicEndpoints() {
    }

    /**
     * Binds a new endpoint of {@code identity} to {@code bind}, accepting connections with the given ALPNs.
     *
     * @throws QuiverException if the socket cannot be bound
     */
    public static Endpoint create(LocalIdentity identity, InetSocketAddress bind, Map<String, ProtocolHandler> handlers)
            throws QuiverException {
        return create(identity, bind, handlers, null);
    }

    /** As {@link #create(LocalIdentity, InetSocketAddress, Map)}, reaching peers through {@code relay} too (null: direct only). */
    public static Endpoint create(LocalIdentity identity, InetSocketAddress bind, Map<String, ProtocolHandler> handlers,
                                  org.quiver.spi.relay.RelayProvider relay) throws QuiverException {
        EndpointBuilder builder = QuicEndpoint.builder(identity).bind(bind).idleTimeout(Duration.ofSeconds(30)).relay(relay);
        handlers.forEach(builder::handler);
        return builder.build();
    }
}
