package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.PathKind;

/**
 * Hole punching for the {@link PathLayer}'s peers that are reached through the relay only: call-me-maybe rounds
 * through the relay (our candidates to the peer, theirs to us, both sides probing at once), and against a NAT that
 * maps per destination, birthday punching (the easy side sprays, the hard side fans out through
 * {@link PunchSockets}). Every call a peer can make is budgeted, per peer and for the node, and birthday rounds
 * start only while we punch toward that peer ourselves.
 *
 * <p>Event loop only, like the path layer that owns it (its state lives in {@link PathTable.Peer} and here); it
 * owns no thread or socket: the path layer's tick drives it and the endpoint's close ends it.
 */
final class HolePunching {
    private final PathLayer layer;

    HolePunching(PathLayer layer) {
        this.layer = layer;
    }

    /**
     * Call-me-maybe rounds per peer while it is reached through the relay only: at 0, 1, 2, 4 and 8 s after
     * its connection came up (or after its direct path died, or our own addresses changed), then no more.
     */
    static final int CALL_ROUNDS = 5;
    /** The first gap between call rounds; it doubles. */
    static final long CALL_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * A call that arrives within this long of our own last call to its peer answers it. Only a call that answers
     * ours, or comes while our own call rounds for its peer are not over, may start birthday punching: the node is
     * punching toward that peer itself, so the call is part of it, not a stranger's wish at any time.
     */
    static final long CALL_ANSWER_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** A call received is answered with ours unless we sent one this recently (so the two never loop). */
    static final long CALL_REPLY_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /**
     * Birthday punching (Tailscale's name) against a NAT that maps per destination, when the other side's
     * mapping is stable: the hard side opens {@link #FAN_SOCKETS} extra sockets that each ping the easy side
     * (each gets its own random port on the hard NAT), the easy side pings {@link #SPRAY_PROBES} random ports
     * of the hard side's IP (each opening its port-restricted filter for that port). With 256 of 64,512 ports
     * open, 1,024 random probes hit one with probability 1 - (1 - 256/64512)^1024 = 98%. At most
     * {@link #BIRTHDAY_ROUNDS} rounds per peer: 2,048 spray probes (125 bytes each) and 2 x 256 sockets.
     */
    static final int SPRAY_PROBES = 1024;
    /** Spray probes sent per tick at most (pacing: 1,024 take four ticks, about a second). */
    static final int SPRAY_PER_TICK = 256;
    /** Extra sockets the hard side opens per round. */
    static final int FAN_SOCKETS = 256;
    /** Birthday rounds per peer at most. */
    static final int BIRTHDAY_ROUNDS = 2;
    /** The ports a NAT hands out (Linux: 1024-65535). */
    private static final int LOW_PORT = 1024;

    /** Told when punching for a peer starts and when it found a direct path (event loop). */
    interface Punches {
        void attempt();

        void success(long timeToDirectNanos);
    }

    /** Opens the hard side's extra sockets and pings {@code targets} from each (event loop). */
    interface Fan {
        void open(PathTable.Peer peer, List<InetSocketAddress> targets);
    }


    final LongAdder callsSent = new LongAdder();
    final LongAdder callsReceived = new LongAdder();
    final LongAdder sprayed = new LongAdder();
    final LongAdder fans = new LongAdder();

    private volatile Fan fan = (peer, targets) -> { };
    private volatile Punches punches = new Punches() {
        @Override
        public void attempt() {
        }

        @Override
        public void success(long timeToDirectNanos) {
        }
    };
    /** Who hears of punching attempts and successes (metrics). */
    void punches(Punches p) {
        this.punches = p;
    }

    /** Who opens the extra sockets of birthday punching. */
    void fan(Fan f) {
        this.fan = f;
    }

    /**
     * Our own candidate addresses changed (a new reflexive address): peers still reached through the relay
     * only get new call rounds (event loop).
     */
    void ownCandidatesChanged(long now) {
        for (PathTable.Peer peer : layer.paths.peers()) {
            peer.callRounds = 0;
            peer.nextCallNanos = now;
            CandidateSet<PathAddr> set = peer.candidates;
            if (set != null && peer.users.get() > 0) {
                punch(peer, set, now); // the first round now, not at the next tick: peers learn the new address at once
            }
        }
    }

    /**
     * A call-me-maybe: the peer's candidates (its interfaces, its reflexive addresses). Each becomes a
     * candidate probed at once (a fresh attempt budget), while the peer probes ours: both NATs open at the
     * same time. Answered with our own call unless we sent one just now. Only taken through the relay, from
     * a peer with a connection, once per transaction.
     */
    void onCall(PathAddr from, byte[] d, long now) {
        callsReceived.increment();
        Probe.CallResult r = Probe.decodeCallMeMaybe(d, layer.selfBytes, layer.keysAt(now));
        if (r.call() == null) {
            layer.probesDropped.increment();
            return;
        }
        PathTable.Peer peer = layer.paths.byId(r.call().sender());
        if (peer == null || peer.candidates == null || !from.equals(peer.relay) || !ProbeReceiver.firstSight(peer, r.call().tx())) {
            layer.probesDropped.increment(); // not through its relay path, no connection, or replayed
            return;
        }
        if (!takeCall(peer, now) || !takeNodeCall(now)) {
            callsRefused.increment(); // more calls than punching ever needs: its addresses are not probed
            return;
        }
        // before we answer it: are we punching toward this peer ourselves (rounds not over, or a call of ours out)?
        boolean answersOurs = peer.callRounds < CALL_ROUNDS || (peer.callSentNanos != 0 && now - peer.callSentNanos <= CALL_ANSWER_NANOS);
        CandidateSet<PathAddr> set = peer.candidates;
        for (InetSocketAddress a : r.call().addresses()) {
            if (layer.reachable(a)) {
                Candidate<PathAddr> c = PathLayer.add(set, new PathAddr.Direct(a), CandidateSet.Source.PUBLISHED);
                if (c != null) {
                    set.rearm(c);
                }
            }
        }
        layer.probeDue(peer, now);
        if (peer.callSentNanos == 0 || now - peer.callSentNanos >= CALL_REPLY_GAP_NANOS) {
            sendCall(peer, now);
        }
        if (answersOurs) {
            birthday(peer, r.call(), now);
        } else if (r.call().hard() || (layer.ownFlags.getAsInt() & Probe.FLAG_HARD) != 0) {
            birthdaysUnasked.increment(); // a call we did not ask for: its addresses are probed, never sprayed at
        }
    }

    /** Calls a peer may make at once, and one more per {@link #CALL_REFILL_NANOS} (a punching attempt sends 5). */
    static final int CALL_BURST = 8;
    static final long CALL_REFILL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * Calls the node acts on for all peers together: this many at once, and one more per
     * {@link #NODE_CALL_REFILL_NANOS} (so that many throwaway keys cannot multiply a peer's budget).
     */
    static final int NODE_CALL_BURST = 64;
    static final long NODE_CALL_REFILL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private int nodeCallTokens = NODE_CALL_BURST;
    private long nodeCallRefillNanos = Long.MIN_VALUE;
    /** Birthday rounds (spraying or fanning out) this node begins per minute, for all peers together. */
    static final int BIRTHDAYS_PER_MINUTE = 4;
    /** Calls refused over a peer's budget; birthday rounds refused over the node's. */
    final LongAdder callsRefused = new LongAdder();
    final LongAdder birthdaysRefused = new LongAdder();
    /** Calls that asked for birthday punching without answering a call of ours: no spraying or fanning for them. */
    final LongAdder birthdaysUnasked = new LongAdder();
    /** When the node's recent birthday rounds began (event loop). */
    private final java.util.ArrayDeque<Long> birthdayTimes = new java.util.ArrayDeque<>();

    /** Whether {@code peer}'s call may be acted on (its token bucket; event loop). */
    private static boolean takeCall(PathTable.Peer peer, long now) {
        if (!peer.callBudgetStarted) {
            peer.callBudgetStarted = true;
            peer.callTokens = CALL_BURST;
            peer.callRefillNanos = now;
        }
        long earned = (now - peer.callRefillNanos) / CALL_REFILL_NANOS;
        if (earned > 0) {
            peer.callTokens = (int) Math.min(CALL_BURST, peer.callTokens + earned);
            peer.callRefillNanos += earned * CALL_REFILL_NANOS;
        }
        if (peer.callTokens <= 0) {
            return false;
        }
        peer.callTokens--;
        return true;
    }

    /** Whether the node's budget of calls (all peers together) allows acting on one more now (event loop). */
    private boolean takeNodeCall(long now) {
        if (nodeCallRefillNanos == Long.MIN_VALUE) {
            nodeCallRefillNanos = now;
        }
        long earned = (now - nodeCallRefillNanos) / NODE_CALL_REFILL_NANOS;
        if (earned > 0) {
            nodeCallTokens = (int) Math.min(NODE_CALL_BURST, nodeCallTokens + earned);
            nodeCallRefillNanos += earned * NODE_CALL_REFILL_NANOS;
        }
        if (nodeCallTokens <= 0) {
            return false;
        }
        nodeCallTokens--;
        return true;
    }

    /** Whether the node may begin another birthday round now (at most {@link #BIRTHDAYS_PER_MINUTE}; event loop). */
    private boolean takeBirthday(long now) {
        while (!birthdayTimes.isEmpty() && now - birthdayTimes.peekFirst() >= TimeUnit.MINUTES.toNanos(1)) {
            birthdayTimes.pollFirst();
        }
        if (birthdayTimes.size() >= BIRTHDAYS_PER_MINUTE) {
            birthdaysRefused.increment();
            return false;
        }
        birthdayTimes.addLast(now);
        return true;
    }

    /**
     * Decides our part in birthday punching from a call: when exactly one side's NAT maps per destination and
     * the other is behind a NAT too (plain punching cannot work then), the hard side fans out, the easy side
     * sprays. Nothing when a direct path works, or the rounds are spent.
     */
    private void birthday(PathTable.Peer peer, Probe.Call call, long now) {
        if (peer.birthdays >= BIRTHDAY_ROUNDS || PathLayer.hasDirect(peer.candidates)) {
            return;
        }
        List<InetSocketAddress> theirs = new ArrayList<>(2);
        for (InetSocketAddress a : call.addresses()) {
            if (theirs.size() < 2 && layer.reachable(a)) {
                theirs.add(a);
            }
        }
        if (theirs.isEmpty()) {
            return;
        }
        int own = layer.ownFlags.getAsInt();
        boolean weHard = (own & Probe.FLAG_HARD) != 0;
        boolean weNated = (own & Probe.FLAG_NATED) != 0;
        if (call.hard() && !weHard && weNated) {
            if (!takeBirthday(now)) {
                return;
            }
            peer.birthdays++;
            peer.sprayIp = theirs.get(0).getAddress();
            peer.sprayLeft = SPRAY_PROBES;
            spray(peer, now);
        } else if (weHard && !call.hard() && call.nated()) {
            if (!takeBirthday(now)) {
                return;
            }
            peer.birthdays++;
            fans.increment();
            fan.open(peer, theirs);
        }
    }

    /** Sends the next paced batch of spray probes to random ports of the peer's IP, until a direct path works. */
    void spray(PathTable.Peer peer, long now) {
        if (peer.sprayLeft <= 0 || peer.id == null) {
            return;
        }
        if (peer.candidates == null || PathLayer.hasDirect(peer.candidates)) {
            peer.sprayLeft = 0;
            return;
        }
        int n = Math.min(peer.sprayLeft, SPRAY_PER_TICK);
        for (int i = 0; i < n; i++) {
            InetSocketAddress to = new InetSocketAddress(peer.sprayIp, LOW_PORT + layer.random.nextInt(65536 - LOW_PORT));
            layer.out.send(new PathAddr.Direct(to), layer.untrackedPing(peer, to));
        }
        peer.sprayLeft -= n;
        sprayed.add(n);
        layer.probesSent.add(n);
    }

    /** Sends {@code peer} our candidates through its relay path. */
    private void sendCall(PathTable.Peer peer, long now) {
        List<InetSocketAddress> own = new ArrayList<>();
        for (InetSocketAddress a : layer.ownCandidates.get()) {
            if (!a.isUnresolved() && !a.getAddress().isLoopbackAddress() && !own.contains(a) && own.size() < Probe.MAX_CALL_ADDRESSES) {
                own.add(a);
            }
        }
        peer.callSentNanos = now;
        callsSent.increment();
        layer.out.send(peer.relay, Probe.encodeCallMeMaybe(layer.random.nextLong(), layer.identity.id(), peer.id, own, layer.ownFlags.getAsInt(), layer.keys.keyFor(peer.id).mac()));
    }

    /**
     * Hole punching for a peer with a live connection: while no direct path works and its relay path is a
     * candidate, call rounds go out on the schedule of {@link #CALL_ROUNDS}; when a direct path that worked
     * dies, or the selected one is in doubt (it may be dead: the peer may need our new address to punch to us), the
     * rounds start over.
     */
    void punch(PathTable.Peer peer, CandidateSet<PathAddr> set, long now) {
        if (!layer.relayUp || peer.id == null) {
            return;
        }
        Candidate<PathAddr> selected = set.selected();
        if (PathLayer.hasDirect(set) && (selected == null || selected.doubtedSinceNanos == 0)) {
            if (!peer.hadDirect && peer.punchStartNanos != 0) {
                long validated = Long.MAX_VALUE;
                for (Candidate<PathAddr> c : set.candidates()) {
                    if (c.kind() == PathKind.DIRECT && c.valid()) {
                        validated = Math.min(validated, c.lastPongNanos());
                    }
                }
                punches.success(Math.max(0, validated - peer.punchStartNanos));
            }
            peer.punchStartNanos = 0;
            peer.hadDirect = true;
            return;
        }
        if (peer.hadDirect) {
            peer.hadDirect = false; // it fell back to the relay: try again from the start
            peer.callRounds = 0;
            peer.nextCallNanos = now;
        }
        Candidate<PathAddr> relay = peer.relay == null ? null : set.get(peer.relay);
        if (peer.callRounds >= CALL_ROUNDS || now < peer.nextCallNanos || relay == null) {
            return;
        }
        if (peer.callRounds == 0) {
            peer.punchStartNanos = now;
            punches.attempt();
        }
        sendCall(peer, now);
        peer.nextCallNanos = now + (CALL_GAP_NANOS << peer.callRounds);
        peer.callRounds++;
    }
}
