package org.quiver.api;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A Quiver node's QUIC endpoint: one UDP socket that both dials and accepts, plus the relay and discovery
 * providers it uses. Bound to a wildcard (the default) it is one dual-stack socket: IPv4 and IPv6 both, the
 * addresses of every interface of both families published and probed, IPv4 only on a host without IPv6.
 * Registered as an OSGi service by the transport bundle, or built in plain Java.
 */
@ProviderType
public interface Endpoint extends AutoCloseable {
    /** This node's id. */
    EndpointId id();

    /** How others can reach this node (relay URL, direct addresses); changes as the node learns more. */
    Watchable<EndpointAddr> addr();

    /** The local socket addresses the endpoint is bound to. */
    Watchable<List<InetSocketAddress>> boundAddresses();

    /** When the endpoint last saw its network change (its interface addresses), if it has since it started. */
    default java.util.Optional<java.time.Instant> lastNetworkChange() {
        return java.util.Optional.empty();
    }

    /**
     * Connects to the endpoint {@code addr} names, using its relay and direct addresses (and discovery for
     * more). Fails unless the peer proves it holds {@code addr.id()}'s key.
     */
    CompletionStage<Connection> connect(EndpointAddr addr, String alpn);

    /** Connects by id alone: discovery finds the addresses. Fails clearly when no discovery knows it. */
    CompletionStage<Connection> connect(EndpointId id, String alpn);

    /**
     * Every candidate path to {@code peer} this endpoint knows, with its state and RTT, the selected one
     * marked; empty when the peer is unknown. A snapshot: paths change as probes come and go.
     */
    default List<PathStatus> paths(EndpointId peer) {
        return List.of();
    }

    /**
     * The peers allowed to connect to this endpoint: empty means anyone (the default). A peer not in a non-empty
     * list is refused as soon as its handshake has told us its id: its connection is closed with the reason
     * {@link #NOT_ALLOWED} before any protocol handler sees it. Dialing out is not restricted.
     */
    default java.util.Set<EndpointId> allowed() {
        return java.util.Set.of();
    }

    /** The close reason a peer refused by {@link #allowed()} sees (application error code 0x104). */
    String NOT_ALLOWED = "not allowed: this node accepts connections from the peers on its allow-list only";

    /** The relay servers this endpoint is attached to (none without a relay provider), the home relay marked. */
    default List<RelayStatus> relays() {
        return List.of();
    }

    /**
     * Sends {@code message} to {@code to} with {@code alpn}, connecting first if there is no connection yet.
     * Messages to one peer and ALPN arrive in the order they were sent, on one unidirectional stream per
     * connection, framed as {@link Messages} describes (the receiver reads them with
     * {@link Messages#read}). Until the connection is up they wait in a bounded buffer: per peer at most
     * 1 MiB and 100 messages by default (a new one drops the oldest), for at most 30 s.
     *
     * @return completes when the transport has taken the message; fails with a {@link QuiverException}
     *         that says why when it was dropped for room, expired, refused (too large, buffer full) or
     *         its connection failed or closed first
     */
    CompletionStage<Void> send(EndpointAddr to, String alpn, byte[] message);

    /** The live connections. */
    Collection<Connection> connections();

    /**
     * Shuts down: stops accepting, closes connections with an application close the peers see, drains for
     * a bounded time, then aborts the rest. Idempotent.
     */
    CompletionStage<Void> closeAsync();

    /** {@link #closeAsync()} and wait for it. */
    @Override
    void close();
}
