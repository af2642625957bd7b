package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import org.quiver.api.EndpointId;
import org.quiver.api.PathKind;

/**
 * Where a datagram came from or goes to: a UDP socket address, or the relay path to a peer (iroh's
 * {@code transports::Addr}). The {@link Router} takes datagrams from every source as one of these and sends to
 * one of these, so the two kinds of path share one route in and one route out.
 *
 * <p>Immutable values; any thread.
 */
sealed interface PathAddr permits PathAddr.Direct, PathAddr.Relay {
    /** What the path is, for metrics and events. */
    PathKind kind();

    /** A UDP socket address (the endpoint's socket, or an extra socket of birthday punching). */
    record Direct(InetSocketAddress socket) implements PathAddr {
        @Override
        public PathKind kind() {
            return PathKind.DIRECT;
        }

        @Override
        public String toString() {
            return AddressText.text(socket);
        }
    }

    /** The relay path to or from {@code peer} (the relay authenticated it; which relay carries it is the peer's). */
    record Relay(EndpointId peer) implements PathAddr {
        @Override
        public PathKind kind() {
            return PathKind.RELAY;
        }

        @Override
        public String toString() {
            return "relay path to " + peer.shortString();
        }
    }
}
