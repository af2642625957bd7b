package org.quiver.transport.quic.impl;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.EndpointId;
import org.quiver.api.RelayStatus;
import org.quiver.api.Watcher;
import org.quiver.spi.relay.RelayContext;
import org.quiver.spi.relay.RelayLink;
import org.quiver.spi.relay.RelayProvider;

/**
 * The relay as a path: the endpoint's attachment to a {@link RelayProvider} (its {@link RelayLink}), the home relay
 * it reports, datagrams to peers through it, and datagrams from it queued for the event loop.
 *
 * <p>Threads: the provider hands datagrams over on its own threads ({@link RelayContext#deliver}), one or a burst of
 * them (datagrams of one segment size in one buffer, as a relay that takes segmented frames carries them); they wait
 * in a bounded queue ({@link #MAX_RELAY_BACKLOG} datagrams) until the event loop hands them to the {@link Router},
 * at most {@link #RELAY_BATCH} per turn so the socket gets its turns too. Sends run on the event loop. A provider is
 * swapped ({@link #use}) from any thread: the new one attaches before the old one is closed, and no lock is held
 * while either runs the provider's code. Stopped by {@code use(null)} when the endpoint closes.
 */
final class RelayTransport {
    /** Relayed datagrams waiting for the event loop, at most; beyond it they are dropped and counted. */
    static final int MAX_RELAY_BACKLOG = 4096;
    /**
     * Relayed datagrams handled in one turn of the loop before the socket gets its turn again (a burst is taken whole,
     * so a turn may take up to 63 more). 256 rather than 64: a relay client hands over a read's bursts at once, and
     * those beyond a turn wait for the next, a round trip's delay that held QUIC's window back; through a relay of one
     * event loop, 256 moved 1.03-1.11 x what 64 did (three rounds in one JVM, 2026-12-03), 1,024 about the same as 256.
     */
    static final int RELAY_BATCH = 256;

    private final EndpointThreads threads;
    /** Whether the endpoint is closing (nothing is taken in then). */
    private final java.util.function.BooleanSupplier closing;
    /** Told when the home relay changed (any thread, never under a lock). */
    private final java.util.function.BiConsumer<URI, URI> homeChanged;
    /** Whose relay connections these are: the provider logs in with it. */
    private final org.quiver.api.LocalIdentity identity;
    private final PathTable paths;
    private final Router router;
    private final LongAdder dropped;
    private final Metrics metrics;
    private final java.util.Queue<Arrived> in = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Object swapLock = new Object();
    private final Object homeLock = new Object();
    private volatile RelayLink link;
    private volatile URI home;
    private final RelayContext context = new RelayContext() {
        @Override
        public EndpointId localId() {
            return identity.id();
        }

        @Override
        public byte[] sign(byte[] challenge) {
            return identity.sign(challenge);
        }

        @Override
        public void deliver(EndpointId source, ByteBuffer datagram) {
            if (link != null && !closing.getAsBoolean()) {
                arrived(source, datagram, 0);
            }
        }

        @Override
        public void deliver(EndpointId source, ByteBuffer datagrams, int segmentSize) {
            if (segmentSize < 1) {
                throw new IllegalArgumentException("segment size " + segmentSize);
            }
            if (link != null && !closing.getAsBoolean()) {
                arrived(source, datagrams, datagrams.remaining() > segmentSize ? segmentSize : 0);
            }
        }
    };

    /**
     * What the relay link handed over, waiting for the event loop: one datagram ({@code segmentSize} 0), or a burst of
     * {@code count} datagrams of {@code segmentSize} bytes, the last perhaps shorter.
     */
    private record Arrived(EndpointId source, ByteBuffer datagram, int segmentSize, int count) {
    }

    RelayTransport(EndpointThreads threads, java.util.function.BooleanSupplier closing, java.util.function.BiConsumer<URI, URI> homeChanged,
                   org.quiver.api.LocalIdentity identity, PathTable paths, Router router, LongAdder dropped, Metrics metrics) {
        this.threads = threads;
        this.closing = closing;
        this.homeChanged = homeChanged;
        this.identity = identity;
        this.paths = paths;
        this.router = router;
        this.dropped = dropped;
        this.metrics = metrics;
    }

    /** Whether a relay provider is attached. */
    boolean attached() {
        return link != null;
    }

    /** Our home relay, once one is connected. */
    URI home() {
        return home;
    }

    /**
     * Uses {@code provider} (null: none) from now on and returns whether a link now exists. The new provider is
     * attached before the old one is detached; connections on the relay path move to the new link. Throws
     * {@link IllegalStateException} when the provider fails to attach (then there is no link).
     */
    boolean use(RelayProvider provider) {
        RelayLink old;
        RelayLink fresh = null;
        RuntimeException failed = null;
        if (provider != null) {
            try {
                fresh = provider.attach(context);
            } catch (RuntimeException e) {
                failed = new IllegalStateException("The relay provider " + provider + " failed to attach; direct paths only: " + e, e);
            }
        }
        synchronized (swapLock) {
            old = link;
            link = fresh;
        }
        if (fresh != null) {
            followHome(fresh, fresh.home().watch());
        } else {
            homeIs(null);
        }
        if (old != null) {
            try {
                old.close();
            } catch (RuntimeException e) {
                // a provider's failure to close is its own; the link is dropped either way
            }
        }
        if (failed != null) {
            throw failed;
        }
        return fresh != null;
    }

    /** Keeps the home relay on {@code l}'s while that link is in use. */
    private void followHome(RelayLink l, Watcher<Optional<URI>> w) {
        if (link != l) {
            return;
        }
        homeIs(w.get().orElse(null));
        w.changed().whenComplete((v, e) -> {
            if (e == null) {
                followHome(l, w);
            }
        });
    }

    private void homeIs(URI now) {
        URI previous;
        synchronized (homeLock) {
            if (java.util.Objects.equals(now, home)) {
                return;
            }
            previous = home;
            home = now;
        }
        homeChanged.accept(now, previous); // outside the lock: it runs the own address's watchers
    }

    /** Every relay the link uses or tries to, with its state (none without a link, or when the provider fails). */
    List<RelayStatus> status() {
        RelayLink l = link;
        if (l == null) {
            return List.of();
        }
        try {
            return l.status();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** Whether the relay {@code peer} is reached by (its own, else our home relay) is connected now. */
    boolean carries(PathTable.Peer peer) {
        RelayLink l = link;
        if (l == null) {
            return false;
        }
        List<RelayStatus> status = l.status();
        if (status.isEmpty()) {
            return true; // a provider that does not tell: taken to carry
        }
        URI h = home;
        for (RelayStatus s : status) {
            if (s.state().startsWith("CONNECTED") && (s.url().equals(peer.relayUrl) || s.url().equals(h))) {
                return true;
            }
        }
        return false;
    }

    /** The network changed: the link checks its relay connections at once (event loop; a link's failure is its own). */
    void networkChanged() {
        RelayLink l = link;
        if (l != null) {
            try {
                l.networkChanged();
            } catch (RuntimeException e) {
                // a provider's bug: its connections are checked at their next ping instead
            }
        }
    }

    /**
     * Event loop: sends {@code datagram} to {@code peer} through the link (read during the call only); false when
     * it was dropped (no link, or the link cannot take it now), counted. QUIC recovers.
     */
    boolean send(EndpointId peer, ByteBuffer datagram) {
        return send(peer, datagram, 0);
    }

    /**
     * Event loop: as {@link #send(EndpointId, ByteBuffer)} for a burst of datagrams of {@code segmentSize} bytes, the
     * last perhaps shorter ({@code segmentSize} 0: one datagram); false when any of it was dropped (counted once).
     */
    boolean send(EndpointId peer, ByteBuffer datagram, int segmentSize) {
        RelayLink l = link;
        if (l == null) {
            dropped.increment();
            metrics.get().datagramDropped("no-relay");
            return false;
        }
        PathTable.Peer p = paths.byId(peer);
        URI hint = p == null ? null : p.relayUrl;
        boolean sent;
        try {
            sent = segmentSize > 0 ? l.send(peer, hint, datagram, segmentSize) : l.send(peer, hint, datagram);
        } catch (RuntimeException e) {
            sent = false; // a provider's failure drops the datagram, never the loop
        }
        if (!sent) {
            dropped.increment();
            metrics.get().datagramDropped("relay-full");
        }
        return sent;
    }

    /**
     * Any thread (the provider's): queues a relayed datagram, or a burst of them ({@code segmentSize} > 0), for the
     * loop, or drops it when too many wait.
     */
    private void arrived(EndpointId source, ByteBuffer datagram, int segmentSize) {
        if (source == null || datagram == null || !datagram.hasRemaining()) {
            return;
        }
        int count = segmentSize > 0 ? (datagram.remaining() + segmentSize - 1) / segmentSize : 1;
        if ((segmentSize > 0 ? segmentSize : datagram.remaining()) > QuicEndpoint.MAX_UDP_PAYLOAD) {
            // larger than any packet QUIC here sends or takes: what waits stays within 4,096 x 1,472 bytes
            dropped.add(count);
            metrics.get().datagramDropped("relay-oversized");
            return;
        }
        if (queued.addAndGet(count) > MAX_RELAY_BACKLOG) {
            queued.addAndGet(-count);
            dropped.add(count);
            metrics.get().datagramDropped("relay-backlog");
            return;
        }
        in.offer(new Arrived(source, datagram, segmentSize, count));
        if (drainScheduled.compareAndSet(false, true)) {
            threads.onLoop(this::drain);
        }
    }

    /**
     * Event loop: relayed datagrams through the router, a burst cut into its datagrams (slices of its one buffer), until
     * {@link #RELAY_BATCH} or more went; then the socket's turn.
     */
    private void drain() {
        drainScheduled.set(false);
        for (int done = 0; done < RELAY_BATCH; ) {
            Arrived a = in.poll();
            if (a == null) {
                break;
            }
            queued.addAndGet(-a.count());
            done += a.count();
            PathAddr.Relay from = new PathAddr.Relay(a.source());
            io.netty.buffer.ByteBuf all = io.netty.buffer.Unpooled.wrappedBuffer(a.datagram());
            if (a.segmentSize() == 0) {
                router.inbound(from, all, null);
            } else {
                Segments.cut(all, a.segmentSize(), one -> router.inbound(from, one, null));
            }
        }
        router.readComplete();
        if (!in.isEmpty() && drainScheduled.compareAndSet(false, true)) {
            threads.onLoop(this::drain);
        }
    }
}
