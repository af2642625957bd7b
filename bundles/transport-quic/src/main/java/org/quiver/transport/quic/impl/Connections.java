package org.quiver.transport.quic.impl;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.quiver.api.CloseInfo;
import org.quiver.api.EndpointId;
import org.quiver.api.EventTopics;
import org.quiver.api.PathInfo;

/**
 * The endpoint's live connections: which exist, each one's peer's count of users (a peer with none is forgotten
 * after the idle timeout), the metrics and events of their opening, closing and path changes, and following a
 * peer whose QUIC packets arrive from a new address (a NAT rebinding, as the {@link Router} sees it).
 *
 * <p>Threads: connections are added on the event loop (their handshake is done) and removed when their channel
 * closes (the loop); readers on any thread see a concurrent set. Owns no thread; the endpoint closes the
 * connections when it closes ({@link #closeAll}), and one tracked while it closes is closed at once.
 */
final class Connections implements Router.Rebinding {
    /** NAT rebindings followed (a peer's connections moved to the address its QUIC packets came from). */
    final java.util.concurrent.atomic.LongAdder rebindings = new java.util.concurrent.atomic.LongAdder();
    private final Set<QuicConnectionImpl> live = ConcurrentHashMap.newKeySet();
    private final Metrics metrics;
    private final Events events;
    private final PathLayer pathLayer;
    private final java.util.function.Consumer<Runnable> onLoop;
    private final java.util.function.BooleanSupplier closing;

    Connections(Metrics metrics, Events events, PathLayer pathLayer, java.util.function.Consumer<Runnable> onLoop,
                java.util.function.BooleanSupplier closing) {
        this.metrics = metrics;
        this.events = events;
        this.pathLayer = pathLayer;
        this.onLoop = onLoop;
        this.closing = closing;
    }

    /** Every live connection. */
    Collection<QuicConnectionImpl> all() {
        return List.copyOf(live);
    }

    /** A live connection this endpoint dialed to {@code id} with {@code alpn}, or null. */
    QuicConnectionImpl dialedTo(EndpointId id, String alpn) {
        for (QuicConnectionImpl c : live) {
            if (c.isDialer() && c.remoteId().equals(id) && c.alpn().equals(alpn) && !c.closed().toCompletableFuture().isDone()) {
                return c;
            }
        }
        return null;
    }

    /** Starts tracking {@code conn}, whose handshake is done, or under way in 0-RTT (event loop). */
    void track(QuicConnectionImpl conn) {
        live.add(conn);
        PathTable.Peer p = conn.peer();
        if (p != null) {
            p.users.incrementAndGet();
            p.connections.add(conn);
            onLoop.accept(() -> pathLayer.reselect(p)); // the handshake is done: the path may move now
        }
        if (!conn.earlyData()) {
            handshakeDone(conn);
        }
        org.quiver.api.PathKind kind = conn.path().get().kind();
        metrics.get().connectionOpened(kind, conn.isDialer());
        events.connection(EventTopics.CONNECTION_OPENED, conn, null);
        conn.closed().whenComplete((info, e) -> {
            metrics.get().connectionClosed(kind);
            events.connection(EventTopics.CONNECTION_CLOSED, conn, info != null ? info : new CloseInfo(CloseInfo.Cause.LOCAL, 0, String.valueOf(e)));
        });
        conn.channel().closeFuture().addListener(f -> {
            live.remove(conn);
            if (p != null) {
                p.connections.remove(conn);
                p.users.decrementAndGet();
                p.touch();
            }
        });
        if (closing.getAsBoolean()) {
            conn.close(CloseInfo.Cause.ENDPOINT_CLOSED, 0, "endpoint closing");
        }
    }

    /** {@code conn}'s handshake is done: what it was (its key exchange, whether it resumed) is read and counted. Event loop. */
    void handshakeDone(QuicConnectionImpl conn) {
        String group = KeyExchanges.of(conn.peer());
        // unseen (no Initial observed): a connection that worked in 0-RTT resumed, or its handshake would not be done
        conn.keyExchange(group, group.equals(KeyExchanges.UNKNOWN) ? conn.earlyData() : KeyExchanges.resumed(conn.peer()));
        metrics.get().handshake(conn.keyExchange(), conn.resumed());
    }

    /** The path layer moved {@code peer} to {@code selected}: its connections report it, metrics and an event say so. */
    void pathChanged(PathTable.Peer peer, Candidate<PathAddr> previous, Candidate<PathAddr> selected) {
        metrics.get().pathSwitched(previous == null ? selected.kind() : previous.kind(), selected.kind());
        PathInfo info = new PathInfo(selected.kind(), selected.remote(),
                selected.rttNanos() < 0 ? java.util.Optional.empty() : java.util.Optional.of(Duration.ofNanos(selected.rttNanos())));
        for (QuicConnectionImpl c : peer.connections) {
            c.pathValue().set(info);
        }
        events.post(EventTopics.PATH_CHANGED, EventTopics.PEER_ID, peer.id == null ? null : peer.id.toString(),
                EventTopics.PATH, selected.remote(), EventTopics.PATH_KIND, selected.kind().name(),
                EventTopics.RTT_NANOS, selected.rttNanos() < 0 ? null : selected.rttNanos());
    }

    /** QUIC packets accepted on the peer's connections so far (the router's test of a rebinding). Event loop. */
    @Override
    public long accepted(PathTable.Peer peer) {
        long sum = 0;
        for (QuicConnectionImpl c : peer.connections) { // this peer's only: bounded by the per-peer limit
            io.netty.util.concurrent.Future<io.netty.handler.codec.quic.QuicConnectionStats> f = c.channel().collectStats();
            if (f.isSuccess()) { // on the loop it is done at once
                sum += f.getNow().recv();
            }
        }
        return sum;
    }

    /** QUIC accepted a packet of {@code peer}'s from a new address: the peer moved there (a NAT rebinding). */
    @Override
    public void rebound(PathTable.Peer peer, java.net.InetSocketAddress from) {
        rebindings.increment();
        pathLayer.rebound(peer, from, pathLayer.paths.now());
    }

    /** Moves the traffic of {@code peer}'s connections onto {@code real} now (tests: see {@link QuicEndpoint#switchPath}). */
    void force(EndpointId peer, java.net.InetSocketAddress real) {
        for (QuicConnectionImpl c : live) {
            PathTable.Peer p = c.peer();
            if (c.remoteId().equals(peer) && p != null) {
                onLoop.accept(() -> {
                    pathLayer.forced(p, real);
                    pathLayer.paths.switchPath(p, new PathAddr.Direct(real));
                });
                c.pathValue().set(QuicConnectionImpl.direct(real));
            }
        }
    }

    /** Closes every connection with {@code reason}; the futures complete when each has closed. */
    List<java.util.concurrent.CompletableFuture<CloseInfo>> closeAll(String reason) {
        List<java.util.concurrent.CompletableFuture<CloseInfo>> closed = new java.util.ArrayList<>();
        for (QuicConnectionImpl c : live) {
            c.close(CloseInfo.Cause.ENDPOINT_CLOSED, 0, reason);
            closed.add(c.closed().toCompletableFuture());
        }
        return closed;
    }
}
