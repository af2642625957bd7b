package org.quiver.transport.quic.impl;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.PathKind;
import org.quiver.api.PathStatus;
import org.quiver.spi.path.PathSelector;

/**
 * The path layer (iroh's magic socket): for every identified peer a {@link CandidateSet} of direct paths,
 * probed with authenticated {@link Probe}s (HMAC), and the selected path behind the peer's mapped address, which it moves
 * ({@link PathTable#switchPath}) whenever the {@link PathSelector} picks another. QUIC never notices.
 *
 * <p>Candidates come from the addresses a dial was given, the address a connection came from, and the
 * addresses authenticated pings come from. Only peers with a live connection are probed, and a peer's
 * traffic moves only once its connection is up (a handshake stays on the path it started on). A forged,
 * misdirected or replayed probe validates nothing and is dropped and counted. Tags are cheap to check;
 * what costs is the key agreement with a sender not seen before (~0.2 ms), so keys are cached and new ones
 * budgeted ({@link ProbeKeys}): probes beyond that are dropped.
 *
 * <p>Arriving probes are its {@link ProbeReceiver}'s; hole punching (calls through the relay, birthday punching) is
 * its {@link HolePunching}, driven by its tick.
 *
 * <p>Everything here runs on the endpoint's event loop, except {@link #selector(PathSelector)} and the
 * counters. It owns no thread: the endpoint's periodic task calls {@link #tick}, and the endpoint's close ends it.
 */
final class PathLayer {
    /** Pongs to one source IP whose sender we have no peer entry for: this many at once, ... */
    static final int STRANGER_BURST = 32;
    /** ... and this many a second after that. */
    static final int STRANGER_PER_SECOND = 8;
    /** Peers whose pings arrived before their connection was identified, remembered at most. */
    static final int MAX_EARLY_PEERS = 256;
    /** Addresses remembered per such peer. */
    static final int MAX_EARLY_ADDRESSES = 4;
    /** Own addresses as others observed them, remembered at most. */
    static final int MAX_OBSERVED = 8;
    /** Largest control datagram (probe, call, STUN) taken from the socket; larger ones are dropped. */
    static final int MAX_CONTROL = 548;

    /** Sends a datagram on the real socket (event loop). */
    interface Output {
        void send(PathAddr to, byte[] datagram);
    }

    /** Told (event loop) when a peer's selected path changed. */
    interface Listener {
        void pathChanged(PathTable.Peer peer, Candidate<PathAddr> previous, Candidate<PathAddr> selected);
    }

    final LocalIdentity identity;
    final PathTable paths;
    private final CandidateSet.Timings timings;
    final Output out;
    private final Listener listener;
    private volatile boolean v6Socket;
    volatile boolean relayUp;
    final SecureRandom random = new SecureRandom();
    private volatile PathSelector selector;
    private final GuardedSelector guarded = new GuardedSelector();
    final LongAdder probesSent = new LongAdder();
    final LongAdder probesReceived = new LongAdder();
    final LongAdder probesDropped = new LongAdder();
    final LongAdder pathSwitches = new LongAdder();
    /** Pings from senders we have no peer entry for, left unanswered because their source IP used its budget. */
    final LongAdder strangersLimited = new LongAdder();
    /** Peers whose periodic work threw (skipped for that tick; the others went on). */
    final LongAdder tickFailures = new LongAdder();
    final LongAdder selectorFailures = new LongAdder();
    volatile java.util.function.Supplier<List<InetSocketAddress>> ownCandidates = List::of;
    private volatile java.util.function.BiConsumer<InetSocketAddress, byte[]> stun = (from, d) -> { };
    volatile java.util.function.IntSupplier ownFlags = () -> 0;
    volatile java.util.function.Consumer<InetSocketAddress> authenticated = from -> { };
    final byte[] selfBytes;
    /** The probe keys shared with peers (cached, new ones budgeted). */
    final ProbeKeys keys;

    PathLayer(LocalIdentity identity, PathTable paths, CandidateSet.Timings timings, Output out, Listener listener) {
        this.identity = identity;
        this.paths = paths;
        this.timings = timings;
        this.selfBytes = identity.id().toBytes();
        this.out = out;
        this.listener = listener;
        this.selector = HoldingSelector.INSTANCE;
        this.keys = new ProbeKeys(identity);
        this.punching = new HolePunching(this);
        this.receiver = new ProbeReceiver(this);
    }

    /** Arriving probes: checked, answered, learnt from. */
    private final ProbeReceiver receiver;
    /** Calls, spraying and fanning out: hole punching for peers reached through the relay only. */
    final HolePunching punching;

    /** Tells the layer the socket's family once it is bound. */
    void socketFamily(boolean v6) {
        this.v6Socket = v6;
    }

    /** The selector in use. */
    PathSelector selector() {
        return selector;
    }

    /** Uses {@code s} (null: the default) from now on; the caller re-runs selection on the loop. */
    void selector(PathSelector s) {
        this.selector = s == null ? HoldingSelector.INSTANCE : s;
    }

    /** Where the addresses we announce in call-me-maybe come from (interfaces, reflexive, observed). */
    void ownCandidates(java.util.function.Supplier<List<InetSocketAddress>> supplier) {
        this.ownCandidates = supplier;
    }

    /** Our NAT as STUN sees it: {@link Probe#FLAG_HARD}, {@link Probe#FLAG_NATED}. */
    void ownFlags(java.util.function.IntSupplier flags) {
        this.ownFlags = flags;
    }

    /** Who hears of punching attempts and successes (metrics). */
    void punches(HolePunching.Punches p) {
        punching.punches(p);
    }

    /** Who opens the extra sockets of birthday punching. */
    void fan(HolePunching.Fan f) {
        punching.fan(f);
    }

    /** Our own candidate addresses changed (a new reflexive address): punching starts over (event loop). */
    void ownCandidatesChanged(long now) {
        punching.ownCandidatesChanged(now);
    }

    /** Told (event loop) the sender of every authenticated probe, right after it was checked. */
    void authenticated(java.util.function.Consumer<InetSocketAddress> listener) {
        this.authenticated = listener;
    }

    /** The probe keys as a tag check at {@code now} (a key not cached is made within the budget at that time). */
    Probe.Keys keysAt(long now) {
        return (d, offset) -> keys.lookup(d, offset, now);
    }

    /** An authenticated ping from us to {@code peer} at {@code to} whose answer nobody waits for (spray, fan). */
    byte[] untrackedPing(PathTable.Peer peer, InetSocketAddress to) {
        return Probe.encode(Probe.PING, random.nextLong(), identity.id(), peer.id, to, keys.keyFor(peer.id).mac());
    }

    /** Who gets STUN messages arriving on the socket (event loop). */
    void stun(java.util.function.BiConsumer<InetSocketAddress, byte[]> handler) {
        this.stun = handler;
    }

    /**
     * A datagram with the QUIC fixed bit clear arrived on the socket from {@code from}: a STUN message, a
     * probe or a call-me-maybe; anything else is dropped and counted.
     */
    void onControl(PathAddr from, byte[] d, long now) {
        if (Probe.isCallMeMaybe(d)) {
            punching.onCall(from, d, now); // the relay is where calls come by; direct ones are dropped there
        } else if (from instanceof PathAddr.Direct direct && org.quiver.internal.stun.Stun.looksLikeStun(d)) {
            stun.accept(direct.socket(), d); // never a probe: those are 125 bytes, which no STUN message is
        } else {
            onProbe(from, d, now);
        }
    }

    /** How often {@link #tick} should run. */
    long tickNanos() {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(timings.heartbeatNanos() / 4, TimeUnit.MILLISECONDS.toNanos(250)));
    }

    private volatile java.util.function.Predicate<PathTable.Peer> relayCarries = p -> true;

    /** Tells the layer how to see whether the relay a peer is reached by is connected now (the endpoint asks its link). */
    void relayCarries(java.util.function.Predicate<PathTable.Peer> carries) {
        this.relayCarries = carries;
    }

    /** Tells the layer whether a relay link is attached (relay paths can carry packets). */
    void relayAvailable(boolean up) {
        this.relayUp = up;
    }

    /**
     * Whether we can send to {@code a}: a relay path while a relay link is attached; a socket address of the
     * socket's family (an IPv4 socket cannot reach IPv6 addresses).
     */
    boolean reachable(PathAddr a) {
        return a instanceof PathAddr.Direct d ? reachable(d.socket()) : a != null && relayUp;
    }

    /** Whether the socket can send to {@code a} (an IPv4 socket cannot reach IPv6 addresses). */
    boolean reachable(InetSocketAddress a) {
        return a != null && !a.isUnresolved() && (v6Socket || !(a.getAddress() instanceof Inet6Address));
    }

    /** The address a probe on path {@code a} names: the socket address, or for a relay path none (0.0.0.0:0). */
    static InetSocketAddress probeAddress(PathAddr a) {
        return a instanceof PathAddr.Direct d ? d.socket() : NO_ADDRESS;
    }

    /** What a probe on a relay path names as its address: nothing (the receiver reads no address from those). */
    private static final InetSocketAddress NO_ADDRESS = new InetSocketAddress("0.0.0.0", 0); // a literal: no lookup

    /** Adds {@code a} as a candidate of its kind. */
    static Candidate<PathAddr> add(CandidateSet<PathAddr> set, PathAddr a, CandidateSet.Source source) {
        boolean v6 = a instanceof PathAddr.Direct d && d.socket().getAddress() instanceof Inet6Address;
        return set.add(a, a.kind(), v6, source);
    }

    private CandidateSet<PathAddr> candidates(PathTable.Peer peer) {
        CandidateSet<PathAddr> set = peer.candidates;
        if (set == null) {
            set = new CandidateSet<>(timings, a -> a instanceof PathAddr.Direct d ? AddressText.text(d.socket()) : peer.relayLabel());
            peer.candidates = set;
        }
        return set;
    }

    /**
     * A dial: the peer's published addresses (and its relay path, when {@code viaRelay}) become candidates;
     * {@code initial} carries QUIC until probes answer.
     */
    void dialing(PathTable.Peer peer, List<InetSocketAddress> published, PathAddr initial, boolean viaRelay) {
        CandidateSet<PathAddr> set = candidates(peer);
        for (InetSocketAddress a : published) {
            if (reachable(a)) {
                add(set, new PathAddr.Direct(a), CandidateSet.Source.PUBLISHED);
            }
        }
        if (viaRelay && peer.relay != null) {
            add(set, peer.relay, CandidateSet.Source.PUBLISHED);
        }
        Candidate<PathAddr> c = add(set, initial, CandidateSet.Source.PUBLISHED);
        if (set.selected() == null && c != null) {
            set.select(c);
        }
        probeDue(peer, paths.now());
    }

    /** More published addresses of a peer (a later discovery result) become candidates. */
    void published(PathTable.Peer peer, List<InetSocketAddress> addresses) {
        CandidateSet<PathAddr> set = candidates(peer);
        for (InetSocketAddress a : addresses) {
            if (reachable(a)) {
                add(set, new PathAddr.Direct(a), CandidateSet.Source.PUBLISHED);
            }
        }
        probeDue(peer, paths.now());
    }

    /** A connection from {@code real} was accepted and its peer identified: that address is its first path. */
    void accepted(PathTable.Peer peer, PathAddr real) {
        CandidateSet<PathAddr> set = candidates(peer);
        Candidate<PathAddr> c = add(set, real, CandidateSet.Source.OBSERVED);
        if (set.selected() == null && c != null) {
            set.select(c);
        }
        // paths its pings came by while the handshake was still under way
        List<PathAddr> pinged = peer.id == null ? null : receiver.earlyPings(peer.id);
        if (pinged != null) {
            for (PathAddr a : pinged) {
                paths.learn(peer, a);
                add(set, a, CandidateSet.Source.OBSERVED);
            }
        }
        probeDue(peer, paths.now());
    }

    /** An application (or test) moved the peer to {@code real}: it becomes a candidate and the selected one. */
    void forced(PathTable.Peer peer, InetSocketAddress real) {
        CandidateSet<PathAddr> set = candidates(peer);
        Candidate<PathAddr> c = add(set, new PathAddr.Direct(real), CandidateSet.Source.OBSERVED);
        if (c != null) {
            set.select(c);
        }
    }

    /**
     * QUIC accepted a new, authentic packet of {@code peer}'s from {@code from}, an address it had not used: a NAT
     * rebinding. The peer's traffic moves there at once (the path it left is marked inactive: the mapping behind
     * it is most likely gone; probes bring it back if not), and the new path is probed now.
     */
    void rebound(PathTable.Peer peer, InetSocketAddress socket, long now) {
        PathAddr from = new PathAddr.Direct(socket);
        CandidateSet<PathAddr> set = candidates(peer);
        Candidate<PathAddr> previous = set.selected();
        paths.switchPath(peer, from);
        Candidate<PathAddr> c = add(set, from, CandidateSet.Source.OBSERVED);
        if (c != null) {
            if (previous != null && previous != c && previous.kind() == PathKind.DIRECT) {
                set.markInactive(previous);
            }
            set.select(c);
            pathSwitches.increment();
            listener.pathChanged(peer, previous, c);
        }
        probeDue(peer, now);
    }

    /** A datagram of {@code peer} came through the relay: its relay path becomes a candidate (if it has candidates). */
    void relayHeard(PathTable.Peer peer) {
        CandidateSet<PathAddr> set = peer.candidates;
        if (set != null && peer.relay != null && set.get(peer.relay) == null) {
            add(set, peer.relay, CandidateSet.Source.OBSERVED);
            probeDue(peer, paths.now());
        }
    }

    /**
     * A QUIC packet of {@code peer}'s came through the relay while we send to it on a direct path: the peer may have
     * lost that path (its network changed), so the path is probed now and left unless it answers within a few round
     * trips ({@link CandidateSet#doubtSelectedDirect}). At most once per probe interval per peer: a peer that lags in
     * moving to the direct path costs one probe, not one per packet. Event loop.
     */
    void quicThroughRelay(PathTable.Peer peer, long now) {
        CandidateSet<PathAddr> set = peer.candidates;
        if (set == null || now - peer.relayDoubtNanos < timings.heartbeatNanos()) {
            return;
        }
        if (set.doubtSelectedDirect(now)) {
            peer.relayDoubtNanos = now;
            probeDue(peer, now);
        }
    }

    /**
     * How long QUIC we sent on a working direct path may go unanswered (nothing from the peer on a direct path since)
     * before the path is in doubt: two of its round trips and 150 ms (QUIC acknowledges within a round trip and 25 ms).
     */
    static long silenceNanos(Candidate<?> c) {
        long rtt = c.rttNanos() >= 0 ? c.rttNanos() : TimeUnit.MILLISECONDS.toNanos(100);
        return 2 * rtt + TimeUnit.MILLISECONDS.toNanos(150);
    }

    /**
     * A direct path that went silent: QUIC we sent the peer on it {@link #silenceNanos} ago is still unanswered (nothing
     * from the peer on a direct path since). Whatever broke it (the peer's network changed, a NAT on the way flushed its
     * mapping and now drops what comes back, a link died), nothing on our side changed, so no network change says so.
     * The path is put in doubt ({@link CandidateSet#doubtSelectedDirect}): probed now and left unless a probe answers
     * within twice that time (a busy or collecting peer costs a probe, not its path); and our reflexive address is asked
     * for again (our own NAT may have mapped us anew: the peer must hear of the new address, by a call round, before a
     * direct path works again). Event loop.
     */
    void silenceCheck(PathTable.Peer peer, long now) {
        CandidateSet<PathAddr> set = peer.candidates;
        Candidate<PathAddr> c = set == null ? null : set.selected();
        if (c == null || c.kind() != PathKind.DIRECT || !c.valid()) {
            return;
        }
        set.heardSinceDoubt(c, peer.quicHeardNanos);
        long since = peer.quicUnansweredSinceNanos;
        if (since == 0) {
            return;
        }
        long silence = silenceNanos(c);
        if (now - since > silence && now - c.lastPongNanos() > silence && set.doubtSelectedDirect(now, 2 * silence)) {
            silentPaths.increment();
            probeDue(peer, now);
            silenceSeen.run();
        }
    }

    /** Direct paths put in doubt because they went silent under our QUIC ({@link #silenceCheck}). */
    final LongAdder silentPaths = new LongAdder();
    private volatile Runnable silenceSeen = () -> { };

    /** Who is told when a direct path went silent (the endpoint asks STUN again; event loop). */
    void silenceSeen(Runnable r) {
        this.silenceSeen = r;
    }

    /** A probe (ping or pong) arrived from {@code from}: see {@link ProbeReceiver}. */
    void onProbe(PathAddr from, byte[] datagram, long now) {
        receiver.onProbe(from, datagram, now);
    }

    /** Whether the selected path is a relay while a direct candidate has answered (cheap: no selector, no lookups). */
    private static boolean waitsAtRelayWithDirectAnswered(CandidateSet<PathAddr> set) {
        Candidate<PathAddr> selected = set.selected();
        return selected != null && selected.kind() == PathKind.RELAY && hasDirect(set);
    }

    static boolean hasDirect(CandidateSet<PathAddr> set) {
        for (Candidate<PathAddr> c : set.candidates()) {
            if (c.kind() == PathKind.DIRECT && c.valid()) {
                return true;
            }
        }
        return false;
    }

    /** This endpoint's addresses as peers' pongs reported them, most recent last. */
    List<InetSocketAddress> observedAddresses() {
        return receiver.observedAddresses();
    }

    /**
     * The network changed: every path of every peer with a connection is probed now, not at its next interval (the
     * old ones may be dead, new ones may work), a working path that does not answer within a few of its round trips
     * is left then ({@link CandidateSet#probeAllNow}), and hole punching starts over (our candidates are new).
     *
     * @return when (nanoseconds from now) the unanswered working paths are to be left: {@link #tick} then
     */
    long networkChanged(long now) {
        long longest = 0;
        for (PathTable.Peer peer : paths.peers()) {
            CandidateSet<PathAddr> set = peer.candidates;
            if (set == null || peer.users.get() == 0) {
                continue;
            }
            try {
                longest = Math.max(longest, set.probeAllNow(now));
                probeDue(peer, now);
            } catch (RuntimeException e) {
                tickFailures.increment();
            }
        }
        punching.ownCandidatesChanged(now);
        return longest;
    }

    /** Periodic work: timeouts, probes due, selection. */
    void tick(long now) {
        for (PathTable.Peer peer : paths.peers()) {
            CandidateSet<PathAddr> set = peer.candidates;
            if (set == null) {
                continue;
            }
            if (peer.users.get() == 0) {
                // no connection up: only a handshake waiting at a relay is looked at again (the relay may have gone
                // since a direct path answered: reselect moves it then)
                try {
                    if (waitsAtRelayWithDirectAnswered(set)) {
                        reselect(peer);
                    }
                } catch (RuntimeException e) {
                    tickFailures.increment();
                }
                continue;
            }
            try {
                silenceCheck(peer, now);
                boolean changed = set.expire(now);
                changed |= set.reopenIfNeeded();
                probeDue(peer, now);
                punching.punch(peer, set, now);
                punching.spray(peer, now);
                if (changed) {
                    reselect(peer);
                }
            } catch (RuntimeException e) {
                // one peer's trouble is its own: every other peer is still probed, and the tick runs again
                tickFailures.increment();
            }
        }
    }

    void probeDue(PathTable.Peer peer, long now) {
        CandidateSet<PathAddr> set = peer.candidates;
        EndpointId id = peer.id;
        if (set == null || id == null) {
            return;
        }
        List<Candidate<PathAddr>> list = set.candidates();
        for (int i = 0; i < list.size(); i++) {
            Candidate<PathAddr> c = list.get(i);
            if (reachable(c.key()) && set.probeDue(c, now)) {
                long tx = random.nextLong();
                set.pingSent(c, tx, now);
                out.send(c.key(), Probe.encode(Probe.PING, tx, identity.id(), id, probeAddress(c.key()), keys.keyFor(id).mac()));
                probesSent.increment();
            }
        }
    }

    /** Runs the selector for {@code peer} and moves its traffic when the choice changed. */
    void reselect(PathTable.Peer peer) {
        CandidateSet<PathAddr> set = peer.candidates;
        if (set == null) {
            return;
        }
        Candidate<PathAddr> chosen = set.choose(guarded);
        Candidate<PathAddr> current = set.selected();
        if (peer.users.get() == 0) {
            // no connection up yet: a handshake stays where it started (the peer's QUIC takes its handshake from
            // that path only), unless it started at a relay that is not connected now and a direct path has
            // answered since: then its packets would only be lost until QUIC gives up
            boolean offRelay = current != null && current.kind() == PathKind.RELAY && chosen != null
                    && chosen.kind() == PathKind.DIRECT && chosen.valid() && !relayCarries.test(peer);
            if (!offRelay) {
                return;
            }
        }
        if (chosen == null || chosen == current) {
            if (chosen != null) {
                set.closeRedundant();
            }
            return; // nothing usable: keep sending where we did (it may come back)
        }
        set.select(chosen);
        paths.switchPath(peer, chosen.key());
        pathSwitches.increment();
        set.closeRedundant();
        listener.pathChanged(peer, current, chosen);
    }

    /** Re-runs selection for every peer (the selector changed). */
    void reselectAll() {
        for (PathTable.Peer peer : paths.peers()) {
            reselect(peer);
        }
    }

    /** The peer's candidates as the API reports them. */
    List<PathStatus> status(PathTable.Peer peer) {
        CandidateSet<PathAddr> set = peer.candidates;
        if (set == null) {
            return List.of();
        }
        long nowNanos = paths.now();
        Instant now = Instant.now();
        List<PathStatus> result = new ArrayList<>();
        for (Candidate<PathAddr> c : set.candidates()) {
            result.add(new PathStatus(c.kind(), c.remote(), c.state(),
                    c.rttNanos() < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(c.rttNanos())),
                    c.pinged() ? Optional.of(now.minusNanos(nowNanos - c.lastPingNanos())) : Optional.empty(),
                    c.answered() ? Optional.of(now.minusNanos(nowNanos - c.lastPongNanos())) : Optional.empty(),
                    c == set.selected()));
        }
        return result;
    }

    /** Counts a selector's failures (exceptions, bad indexes); {@link CandidateSet#choose} then keeps the current path. */
    private final class GuardedSelector implements PathSelector {
        @Override
        public int select(List<org.quiver.spi.path.PathCandidate> candidates, int current) {
            try {
                int pick = selector.select(candidates, current);
                if (pick < -1 || pick >= candidates.size()) {
                    selectorFailures.increment();
                }
                return pick;
            } catch (RuntimeException e) {
                selectorFailures.increment();
                throw e;
            }
        }
    }
}
