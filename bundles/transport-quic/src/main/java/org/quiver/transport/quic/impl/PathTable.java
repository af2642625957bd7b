package org.quiver.transport.quic.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.quiver.api.EndpointId;

/**
 * Mapped addresses and the real path behind each: the seam between QUIC and the paths that carry it.
 *
 * <p>QUIC only ever sees mapped addresses, stable fake addresses in fd15:70a:510b::/64 (port 12345), one
 * per remote endpoint (or, for a connection accepted before we know its id, per remote socket). The real
 * path is a {@link PathAddr}: a UDP socket address, or the peer's relay path ({@link Peer#relay}, once its id is
 * known). The real path behind a mapped address can change at any time ({@link #switchPath}) without QUIC
 * noticing.
 * Thread-safe; read on the event loop for every datagram, so reads take no lock.
 */
final class PathTable {
    static final int MAPPED_PORT = 12345;
    /** What our virtual QUIC sockets say is their local address. */
    static final InetSocketAddress LOCAL = mapped(0);

    /** Real addresses remembered per peer (the selected one and earlier ones it may still send from). */
    static final int MAX_REAL_ADDRESSES = 30;

    /** One remote: its mapped address, its id once known, and the real address packets go to now. */
    static final class Peer {
        final InetSocketAddress mapped;
        /** This peer's relay path, once its id is known (null before: a relay names its senders by id). */
        volatile PathAddr.Relay relay;
        /** The relay the peer said it is at (its home relay), if known: datagrams for it go there. */
        volatile java.net.URI relayUrl;
        /** The relay a dial by id alone went through (ours), shown as the path until the peer's own is known. */
        volatile java.net.URI dialedVia;

        /** How the relay path is shown: the peer's relay, else the one we dialed through, else "relay". */
        String relayLabel() {
            java.net.URI u = relayUrl != null ? relayUrl : dialedVia;
            return u == null ? "relay" : u.toString();
        }
        volatile EndpointId id;
        volatile PathAddr real;
        /** Live connections using this peer; a peer with none is forgotten after the idle timeout. */
        final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger();
        /** Those connections (at most maxConnectionsPerPeer accepted, plus those we dial); the endpoint adds and removes them. */
        final java.util.Set<QuicConnectionImpl> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** When a packet from or a connection of this peer was last seen (the table's clock). */
        volatile long lastActive;
        /** The candidate paths, once the peer's id is known; event loop only (see {@link PathLayer}). */
        CandidateSet<PathAddr> candidates;
        /** The router's read batch in which a handshake datagram of this peer's reached the server role (event loop, {@link Router}). */
        long handshakeBatch = -1;
        /** Transactions of the last pings this peer sent us, to drop replays; event loop only. */
        final long[] seenPings = new long[16];
        /** Hole punching (event loop): call rounds sent, when the next is due, when one was last sent. */
        int callRounds;
        long nextCallNanos;
        long callSentNanos;
        /**
         * When we first sent this peer QUIC on a direct path after we last heard QUIC from it on one (the table's clock;
         * 0: nothing sent since; event loop, {@link Router}): a direct path whose oldest unanswered send is too old is
         * put in doubt ({@link PathLayer#silenceCheck}).
         */
        long quicUnansweredSinceNanos;
        /** When QUIC from this peer last arrived on a direct path (the table's clock; event loop, {@link Router}). */
        long quicHeardNanos;
        /** When a QUIC packet of this peer's through the relay last put our direct path to it in doubt (event loop, {@link PathLayer#quicThroughRelay}). */
        long relayDoubtNanos;
        /** The peer's call budget (event loop): calls left, and when it was last refilled. */
        boolean callBudgetStarted;
        int callTokens;
        long callRefillNanos;
        /** When the current punching attempt began (0: none under way). */
        long punchStartNanos;
        /** Birthday punching (event loop): rounds begun, spray probes left, the address sprayed. */
        int birthdays;
        int sprayLeft;
        java.net.InetAddress sprayIp;
        /** The key exchange of this peer's latest handshake as far as seen (event loop; {@link KeyExchanges}). */
        KeyExchanges.Seen keyExchange;
        /** Whether a direct path worked at the last look (event loop). */
        boolean hadDirect;
        int seenPingsNext;
        /** Connection ids we issued to this peer, oldest first, at most {@link #MAX_IDS}; guarded by {@link #known}. */
        final java.util.ArrayDeque<ByteBufKey> ids = new java.util.ArrayDeque<>();
        /** Every path this peer is known at, oldest first; guarded by itself. */
        final java.util.LinkedHashSet<PathAddr> known = new java.util.LinkedHashSet<>();

        private final java.util.function.LongSupplier clock;

        void touch() {
            lastActive = clock.getAsLong();
        }

        Peer(InetSocketAddress mapped, EndpointId id, PathAddr real, java.util.function.LongSupplier clock) {
            this.clock = clock;
            this.lastActive = clock.getAsLong();
            this.mapped = mapped;
            this.relay = id == null ? null : new PathAddr.Relay(id);
            this.id = id;
            this.real = real;
        }
    }

    private final AtomicLong next = new AtomicLong(1);
    private final Map<InetSocketAddress, Peer> byMapped = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Peer> byReal = new ConcurrentHashMap<>();
    private final Map<EndpointId, Peer> byId = new ConcurrentHashMap<>();
    /** The peer each connection id we issued belongs to (learned from our long-header packets): NAT rebinding. */
    private final Map<ByteBufKey, Peer> byConnectionId = new ConcurrentHashMap<>();
    /** Connection ids remembered per peer (one per connection handshake; the oldest are forgotten). */
    static final int MAX_IDS = 8;
    private final int maxPeers;
    /** The monotonic clock (nanoseconds) the endpoint decides by; tests move it (see {@code Builder.ticker}). */
    private final java.util.function.LongSupplier clock;

    PathTable(int maxPeers) {
        this(maxPeers, System::nanoTime);
    }

    PathTable(int maxPeers, java.util.function.LongSupplier clock) {
        this.maxPeers = maxPeers;
        this.clock = clock;
        this.maxUnvalidated = Math.max(1, Math.min(MAX_UNVALIDATED, maxPeers / 2));
    }

    /** Peers from unknown senders whose handshake has not named them yet, at most (see {@link #forNewSender}). */
    static final int MAX_UNVALIDATED = 1024;
    private final int maxUnvalidated;
    /** Those peers, oldest first (event loop). */
    private final java.util.ArrayDeque<Peer> unvalidated = new java.util.ArrayDeque<>();
    private long evicted;

    /** Now, by the endpoint's monotonic clock (nanoseconds). */
    long now() {
        return clock.getAsLong();
    }

    /**
     * The peer for a dial to {@code id} at {@code socket} (null: through the relay). Its traffic moves to {@code real} unless it has live
     * connections (those keep their selected path).
     */
    Peer forDial(EndpointId id, InetSocketAddress socket) {
        Peer peer = byId.computeIfAbsent(id, k -> newPeer(k, null));
        peer.touch(); // a dial is activity: the sweep must not forget the peer between the dial and its handshake
        PathAddr real = socket == null ? peer.relay : new PathAddr.Direct(socket);
        if (peer.users.get() == 0 || peer.real == null) {
            switchPath(peer, real);
        } else {
            learn(peer, real); // live connections stay on their path; the path layer may move them later
        }
        return peer;
    }

    /**
     * The peer for a datagram that came through a relay from {@code id}: the known one, or a new one (null
     * when the table is full). The relay authenticated the sender; QUIC's handshake checks it again.
     */
    Peer forRelaySender(EndpointId id) {
        Peer known = byId.get(id);
        if (known != null) {
            return known;
        }
        if (byMapped.size() >= maxPeers) {
            return null;
        }
        Peer peer = byId.computeIfAbsent(id, k -> newPeer(k, null));
        if (peer.real == null) {
            switchPath(peer, peer.relay);
        }
        return peer;
    }

    /** The peer that sent from {@code real}, or null. */
    Peer byReal(InetSocketAddress real) {
        return byReal.get(real);
    }

    Peer byMapped(InetSocketAddress mapped) {
        return byMapped.get(mapped);
    }

    /**
     * A peer for a new sender (an Initial from an unknown address); null when the table is full of peers that
     * proved who they are. Such a peer is unvalidated until its handshake names it: at most
     * {@link #maxUnvalidated} of them are kept, and a new one pushes the oldest out (a flood of Initials from
     * spoofed addresses churns through those slots instead of filling the table, so a real client's handshake,
     * a round trip long, still gets through). Event loop.
     */
    Peer forNewSender(InetSocketAddress real) {
        Peer known = byReal.get(real);
        if (known != null) {
            return known;
        }
        while (unvalidated.size() >= maxUnvalidated || (byMapped.size() >= maxPeers && !unvalidated.isEmpty())) {
            Peer oldest = unvalidated.pollFirst();
            if (oldest.id == null && oldest.users.get() == 0) {
                remove(oldest);
                evicted++;
            }
        }
        if (byMapped.size() >= maxPeers) {
            return null;
        }
        PathAddr path = new PathAddr.Direct(real);
        Peer peer = byReal.computeIfAbsent(real, r -> newPeer(null, path));
        synchronized (peer.known) {
            peer.known.add(path);
        }
        unvalidated.addLast(peer);
        return peer;
    }

    /** Unvalidated peers pushed out by newer ones (event loop). */
    long evicted() {
        return evicted;
    }

    Peer byId(EndpointId id) {
        return byId.get(id);
    }

    /** Every peer (a live view). */
    java.util.Collection<Peer> peers() {
        return byMapped.values();
    }

    /**
     * Accepts packets from {@code real} as the peer's (a path it proved with an authenticated probe), without
     * moving the peer's outgoing traffic there.
     */
    void learn(Peer peer, PathAddr real) {
        if (real instanceof PathAddr.Direct d) {
            Peer other = byReal.putIfAbsent(d.socket(), peer);
            if (other != null && other != peer) {
                return; // another peer's address: first come, first served until that peer is forgotten
            }
        }
        synchronized (peer.known) {
            if (peer.known.add(real)) {
                trim(peer);
            }
        }
    }

    private void trim(Peer peer) {
        while (peer.known.size() > MAX_REAL_ADDRESSES) {
            PathAddr oldest = peer.known.iterator().next();
            if (oldest.equals(peer.real)) {
                peer.known.remove(oldest);
                peer.known.add(oldest);
                continue;
            }
            peer.known.remove(oldest);
            if (oldest instanceof PathAddr.Direct d) {
                byReal.remove(d.socket(), peer);
            }
        }
    }

    /** Records the id a peer proved in its handshake: it is validated from now on. */
    void identified(Peer peer, EndpointId id) {
        peer.relay = new PathAddr.Relay(id);
        peer.id = id;
        byId.putIfAbsent(id, peer);
        unvalidated.remove(peer);
    }

    /**
     * Moves a peer's packets to another real address. QUIC keeps seeing the same mapped address. Packets
     * that still arrive from the peer's earlier addresses are accepted (up to {@link #MAX_REAL_ADDRESSES}).
     */
    void switchPath(Peer peer, PathAddr real) {
        peer.real = real;
        if (real instanceof PathAddr.Direct d) {
            byReal.put(d.socket(), peer);
        }
        synchronized (peer.known) {
            peer.known.remove(real);
            peer.known.add(real);
            trim(peer);
        }
    }

    /**
     * Records that {@code peer} was given {@code datagram}'s source connection id, when it is a long-header
     * packet of ours (a handshake) carrying one of our ids. Event loop; cheap for every other packet.
     */
    void issued(Peer peer, io.netty.buffer.ByteBuf datagram) {
        int start = datagram.readerIndex();
        if (datagram.readableBytes() < 7 || (datagram.getUnsignedByte(start) & 0x80) == 0) {
            return;
        }
        int scidAt = start + 6 + datagram.getUnsignedByte(start + 5);
        if (scidAt + 1 + ConnectionIds.LENGTH > datagram.writerIndex() || datagram.getUnsignedByte(scidAt) != ConnectionIds.LENGTH) {
            return;
        }
        ByteBufKey id = ByteBufKey.peek(datagram, scidAt + 1, ConnectionIds.LENGTH);
        if (byConnectionId.putIfAbsent(id, peer) != null) {
            return;
        }
        synchronized (peer.known) {
            peer.ids.addLast(id);
            if (peer.ids.size() > MAX_IDS) {
                byConnectionId.remove(peer.ids.removeFirst(), peer);
            }
        }
    }

    /** The peer a short-header packet's destination id (ours) was issued to, or null. */
    Peer byConnectionId(io.netty.buffer.ByteBuf datagram) {
        int start = datagram.readerIndex();
        if (datagram.readableBytes() < 1 + ConnectionIds.LENGTH || (datagram.getUnsignedByte(start) & 0x80) != 0) {
            return null;
        }
        return byConnectionId.get(ByteBufKey.peek(datagram, start + 1, ConnectionIds.LENGTH));
    }

    /** Forgets a peer (its last connection closed). */
    void remove(Peer peer) {
        byMapped.remove(peer.mapped, peer);
        synchronized (peer.known) {
            for (ByteBufKey id : peer.ids) {
                byConnectionId.remove(id, peer);
            }
            peer.ids.clear();
            for (PathAddr a : peer.known) {
                if (a instanceof PathAddr.Direct d) {
                    byReal.remove(d.socket(), peer);
                }
            }
            peer.known.clear();
        }
        if (peer.id != null) {
            byId.remove(peer.id, peer);
        }
    }

    /**
     * Forgets peers that no connection uses and that have been quiet for {@code idleNanos}: closed
     * connections, and handshakes that never completed (which bounds what spoofed Initials can occupy).
     */
    void sweep(long idleNanos) {
        long now = clock.getAsLong();
        for (Peer p : byMapped.values()) {
            if (p.users.get() == 0 && now - p.lastActive > idleNanos) {
                remove(p);
            }
        }
    }

    int size() {
        return byMapped.size();
    }

    private Peer newPeer(EndpointId id, PathAddr real) {
        // registers only by mapped address: callers index it by real address (never inside a compute of that map)
        Peer peer = new Peer(mapped(next.getAndIncrement()), id, real, clock);
        byMapped.put(peer.mapped, peer);
        return peer;
    }

    static InetSocketAddress mapped(long index) {
        byte[] ip = {(byte) 0xfd, 0x15, 0x07, 0x0a, 0x51, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        for (int i = 0; i < 8; i++) {
            ip[15 - i] = (byte) (index >>> (8 * i));
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), MAPPED_PORT);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes: cannot happen
        }
    }
}
