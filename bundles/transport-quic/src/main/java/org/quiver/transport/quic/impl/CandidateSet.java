package org.quiver.transport.quic.impl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.quiver.api.PathKind;
import org.quiver.api.PathState;
import org.quiver.spi.path.PathCandidate;
import org.quiver.spi.path.PathSelector;

/**
 * One peer's candidate paths: where each came from, what probes found (state, RTT estimate, outstanding
 * probes) and the limits that keep the set small (seed plan 1.2, iroh's MAX_IP_PATHS):
 * <ul>
 *   <li>at most {@link #MAX_CANDIDATES} candidates; adding one more first prunes the least valuable:
 *       unusable, then inactive, then never probed, ... ordered by (state, source priority, age). The
 *       selected path is never pruned;</li>
 *   <li>at most {@link #MAX_INACTIVE} inactive (or closed) candidates: the oldest go first;</li>
 *   <li>{@link #closeRedundant} closes working direct paths beyond the selected one and one backup; relay
 *       paths are never closed; closed paths come back ({@link #reopenIfNeeded}) when fewer than two working
 *       direct paths remain.</li>
 * </ul>
 * A path is VALID from its first answered probe; it turns INACTIVE when it has not answered for
 * {@link Timings#pathTimeoutNanos}, or UNUSABLE when it never answered {@link #ATTEMPTS_BEFORE_UNUSABLE}
 * probes. The RTT estimate is the minimum of the last five samples: queueing, bursts, GC pauses and busy
 * cores only ever add delay, so the minimum is the path's own latency and noise does not make paths flap
 * (a median let one loaded path look 7 ms slower than it was, in tests). A faster path shows at its first
 * answer; a path that got slower shows after five probes.
 *
 * <p>Not thread-safe: owned by one thread (the transport's event loop). Selection and probe bookkeeping
 * allocate nothing unless a candidate's state or RTT changes.
 *
 * @param <K> how a path is addressed (a socket address, a relay URL)
 */
public final class CandidateSet<K> {
    /** Candidates kept per peer (iroh's MAX_IP_PATHS). */
    public static final int MAX_CANDIDATES = 30;
    /** Inactive or closed candidates kept per peer (iroh's MAX_INACTIVE_IP_PATHS). */
    public static final int MAX_INACTIVE = 10;
    /** Working direct paths kept open: the selected one plus one backup. */
    public static final int OPEN_DIRECT_PATHS = 2;
    /** Unanswered probes after which a never-working path is unusable. */
    public static final int ATTEMPTS_BEFORE_UNUSABLE = 3;
    /**
     * Probes a never-working (unusable) path still gets after it turned unusable, at the retry interval
     * doubling each time; then it is left alone until {@link #rearm}ed (new information: the peer announced
     * it again, or probed us from it). Punching is bounded: a path that never answers costs
     * {@link #ATTEMPTS_BEFORE_UNUSABLE} + this many probes.
     */
    public static final int RETRIES_WHEN_UNUSABLE = 3;
    /** The longest interval between probes of a path that worked and went silent (inactive): they back off to it. */
    public static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Outstanding probes remembered per path; older ones no longer validate it. */
    public static final int MAX_OUTSTANDING = 4;
    /**
     * A path not working yet pings back a peer's ping that got through at most once per this long ({@link #punchBack}):
     * two nodes that each answered every ping with a ping of their own kept a ping going back and forth for good, and
     * with a few of them at once (birthday punching's hits) the answers came back only after newer probes had pushed
     * their transactions out, so the path never validated and the pings never stopped (seen in the NAT lab: both
     * sockets full, no direct path after 10 s).
     */
    public static final long PUNCH_BACK_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    static final int SAMPLES = 5;

    /** Where a candidate came from; a higher priority is pruned later. */
    public enum Source {
        /** The peer's own published address (ticket, discovery). */
        PUBLISHED(3),
        /** The address a peer's probe or connection came from. */
        OBSERVED(4),
        /** A relay. */
        RELAY(5);

        final int priority;

        Source(int priority) {
            this.priority = priority;
        }
    }

    /**
     * How often paths are probed and when they time out.
     *
     * @param heartbeatNanos    probe interval of working paths (the selected one and its backup)
     * @param retryNanos        probe interval of unknown, inactive and unusable paths
     * @param pathTimeoutNanos  silence after which a working path is inactive
     */
    public record Timings(long heartbeatNanos, long retryNanos, long pathTimeoutNanos) {
        /** iroh probes every 5 s and gives up after 15 s; we probe more often (2 s), so a dead path is left within 6.5 s. */
        public static final Timings DEFAULT = new Timings(TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(5),
                TimeUnit.MILLISECONDS.toNanos(6_500));

        public Timings {
            if (heartbeatNanos <= 0 || retryNanos <= 0 || pathTimeoutNanos <= heartbeatNanos) {
                throw new IllegalArgumentException("probe timings must be positive and the path timeout longer than the heartbeat: "
                        + heartbeatNanos + "/" + retryNanos + "/" + pathTimeoutNanos + " ns");
            }
        }

        /** Timings with the given heartbeat, retry at 2.5 heartbeats and a timeout of 3.25 heartbeats. */
        public static Timings ofHeartbeat(long heartbeatNanos) {
            return new Timings(heartbeatNanos, heartbeatNanos * 5 / 2, heartbeatNanos * 13 / 4);
        }
    }

    private final Timings timings;
    private final List<Candidate<K>> candidates = new ArrayList<>();
    private final List<PathCandidate> views = new ArrayList<>();
    private final List<Candidate<K>> readOnly = Collections.unmodifiableList(candidates);
    private boolean viewsStale = true;
    private long nextSeq;
    private Candidate<K> selected;
    private long pruned;

    private final java.util.function.Function<? super K, String> describe;

    /** A set whose paths are described (to selectors, in status) by their keys' {@code toString()}. */
    public CandidateSet(Timings timings) {
        this(timings, String::valueOf);
    }

    /** A set whose paths are described (to selectors, in status) by {@code describe}. */
    public CandidateSet(Timings timings, java.util.function.Function<? super K, String> describe) {
        this.timings = Objects.requireNonNull(timings, "timings");
        this.describe = Objects.requireNonNull(describe, "describe");
    }

    /** The candidates, oldest first (a read-only view). */
    public List<Candidate<K>> candidates() {
        return readOnly;
    }

    public int size() {
        return candidates.size();
    }

    /** Candidates removed by the limits so far. */
    public long pruned() {
        return pruned;
    }

    /** The candidate addressed by {@code key}, or null. */
    public Candidate<K> get(K key) {
        for (int i = 0; i < candidates.size(); i++) {
            Candidate<K> c = candidates.get(i);
            if (c.key.equals(key)) {
                return c;
            }
        }
        return null;
    }

    /**
     * Adds a candidate, or returns the existing one (raising its source when the new one ranks higher).
     * At the limit the least valuable other candidate is pruned first; when that would be the selected path
     * only, the new candidate is refused and null returned.
     */
    public Candidate<K> add(K key, PathKind kind, boolean ipv6, Source source) {
        Objects.requireNonNull(key, "key");
        Candidate<K> existing = get(key);
        if (existing != null) {
            if (source.priority > existing.source.priority) {
                existing.source = source;
            }
            return existing;
        }
        if (candidates.size() >= MAX_CANDIDATES && !pruneLeastValuable()) {
            return null;
        }
        Candidate<K> c = new Candidate<>(key, describe.apply(key), kind, ipv6, source, nextSeq++);
        candidates.add(c);
        viewsStale = true;
        return c;
    }

    private void removeCandidate(Candidate<K> c) {
        candidates.remove(c);
        if (selected == c) {
            selected = null;
        }
        viewsStale = true;
    }

    private boolean pruneLeastValuable() {
        Candidate<K> worst = null;
        for (Candidate<K> c : candidates) {
            if (c == selected) {
                continue;
            }
            if (worst == null || compareValue(c, worst) < 0) {
                worst = c;
            }
        }
        if (worst == null) {
            return false;
        }
        removeCandidate(worst);
        pruned++;
        return true;
    }

    private static int compareValue(Candidate<?> a, Candidate<?> b) {
        int r = Integer.compare(a.pruneRank(), b.pruneRank());
        if (r == 0) {
            r = Integer.compare(a.source.priority, b.source.priority);
        }
        return r != 0 ? r : Long.compare(a.seq, b.seq);
    }

    private void pruneInactive() {
        int inactive = 0;
        for (Candidate<K> c : candidates) {
            if (c.pruneRank() == 1) {
                inactive++;
            }
        }
        while (inactive > MAX_INACTIVE) {
            Candidate<K> oldest = null;
            for (Candidate<K> c : candidates) {
                if (c.pruneRank() == 1 && c != selected && (oldest == null || c.seq < oldest.seq)) {
                    oldest = c;
                }
            }
            if (oldest == null) {
                return;
            }
            removeCandidate(oldest);
            pruned++;
            inactive--;
        }
    }

    /**
     * Marks a candidate inactive, pruning the oldest inactive ones beyond the limit. A seam for tests: in the
     * endpoint a path becomes inactive only when its probes go unanswered ({@link #expire}).
     */
    void markInactive(Candidate<K> c) {
        c.setState(PathState.INACTIVE);
        viewsStale = true;
        pruneInactive();
    }

    // ------------------------------------------------------------------ probes

    /**
     * Whether {@code c} should be probed at {@code now}: never-probed ones at once; working and validating
     * ones every heartbeat; then retries, backing off: an unusable path gets {@link #RETRIES_WHEN_UNUSABLE}
     * more probes and then none until rearmed, an inactive one (it worked before) backs off to
     * {@link #MAX_RETRY_NANOS}. Relay paths are always probed (they are the fallback).
     */
    public boolean probeDue(Candidate<K> c, long now) {
        if (c.state == PathState.CLOSED) {
            return false;
        }
        if (!c.pinged) {
            return true;
        }
        long interval;
        if (c.state == PathState.VALID || c.state == PathState.VALIDATING && c.unanswered < ATTEMPTS_BEFORE_UNUSABLE) {
            interval = timings.heartbeatNanos;
        } else if (c.kind == PathKind.RELAY) {
            interval = timings.retryNanos;
        } else {
            int retries = Math.max(0, c.unanswered - ATTEMPTS_BEFORE_UNUSABLE);
            if (c.state == PathState.UNUSABLE && retries >= RETRIES_WHEN_UNUSABLE) {
                return false; // given up until rearmed
            }
            interval = Math.min(MAX_RETRY_NANOS, timings.retryNanos << Math.min(retries, 16));
        }
        return now - c.lastPingNanos >= interval;
    }

    /**
     * New reason to believe {@code c} may work (the peer announced it again, or a probe came from it): a
     * path not working now is probed again at once, with a fresh attempt budget.
     *
     * @return whether anything changed (false for a working or closed path)
     */
    public boolean rearm(Candidate<K> c) {
        if (c.state == PathState.VALID || c.state == PathState.CLOSED) {
            return false;
        }
        if (c.state == PathState.UNUSABLE || c.state == PathState.INACTIVE) {
            c.setState(PathState.VALIDATING);
            viewsStale = true;
        }
        c.pinged = false;
        c.unanswered = 0;
        return true;
    }

    /**
     * A ping of the peer's arrived on {@code c} while it is not working: its NAT lets ours through now (our first ping
     * may have been dropped there), so {@code c} is {@link #rearm}ed to be pinged back at once, unless it was pinged
     * back less than {@link #PUNCH_BACK_GAP_NANOS} ago (the peer's answer to that, a ping too, must not start a chain).
     *
     * @return whether {@code c} is to be probed now
     */
    public boolean punchBack(Candidate<K> c, long now) {
        if (c.state == PathState.VALID || c.state == PathState.CLOSED
                || c.punchedBack && now - c.punchedBackNanos < PUNCH_BACK_GAP_NANOS) {
            return false;
        }
        c.punchedBack = true;
        c.punchedBackNanos = now;
        return rearm(c);
    }

    /**
     * The network changed: every candidate is probed now, not at its next interval, and a working one is in doubt:
     * unless it answers a probe sent from now on within {@link #doubtNanos} (a few of its round trips), {@link
     * #expire} turns it inactive then, not after the path timeout (the old network's paths are usually dead).
     *
     * @return the longest of those waits (0: no working path), so that the caller can look again then
     */
    public long probeAllNow(long now) {
        long longest = 0;
        for (Candidate<K> c : candidates()) {
            if (c.state == PathState.VALID) {
                c.pinged = false;
                c.doubtedSinceNanos = now;
                c.doubtWaitNanos = doubtNanos(c);
                longest = Math.max(longest, c.doubtWaitNanos);
            } else {
                rearm(c);
            }
        }
        return longest;
    }

    /**
     * Puts the selected path in doubt when it is a working direct one (the peer has started to send through the
     * relay, as after a change of its network): it is probed now and left unless it answers within {@link
     * #doubtNanos}. False when there was nothing to doubt.
     */
    public boolean doubtSelectedDirect(long now) {
        Candidate<K> c = selected;
        return doubtSelectedDirect(now, c == null ? 0 : doubtNanos(c));
    }

    /** {@link #doubtSelectedDirect(long)} with the time a probe has to answer given: {@code wait} nanoseconds. */
    public boolean doubtSelectedDirect(long now, long wait) {
        Candidate<K> c = selected;
        if (c == null || c.kind != PathKind.DIRECT || c.state != PathState.VALID || c.doubtedSinceNanos != 0) {
            return false;
        }
        c.pinged = false;
        c.doubtedSinceNanos = now;
        c.doubtWaitNanos = wait;
        return true;
    }

    /**
     * The peer's QUIC came in on {@code c}, a path in doubt, at {@code heardNanos}: when that is a round trip after the
     * doubt began (not a packet that was on its way before), the path works both ways again (QUIC answers what we
     * send) and the doubt is over, as a probe's answer would end it.
     */
    public void heardSinceDoubt(Candidate<K> c, long heardNanos) {
        if (c.doubtedSinceNanos != 0 && heardNanos != 0 && heardNanos - c.doubtedSinceNanos > Math.max(0, c.rttNanos)) {
            c.doubtedSinceNanos = 0;
        }
    }

    /** How long a working path in doubt has to answer: three of its round trips and 100 ms (scheduling, a busy core). */
    static long doubtNanos(Candidate<?> c) {
        long rtt = c.rttNanos >= 0 ? c.rttNanos : TimeUnit.MILLISECONDS.toNanos(100);
        return 3 * rtt + TimeUnit.MILLISECONDS.toNanos(100);
    }

    /** Records a probe with transaction {@code tx} sent on {@code c} at {@code now}. */
    public void pingSent(Candidate<K> c, long tx, long now) {
        if (c.state == PathState.UNKNOWN) {
            c.setState(PathState.VALIDATING);
            viewsStale = true;
        }
        c.unanswered++;
        c.pinged = true;
        c.lastPingNanos = now;
        c.pendingTx[c.pendingNext] = tx;
        c.pendingAt[c.pendingNext] = now;
        c.pendingNext = (c.pendingNext + 1) % MAX_OUTSTANDING;
    }

    /**
     * Matches an answer to one of {@code c}'s outstanding probes. Each probe validates at most once (a
     * replayed answer finds nothing); an answer to an unknown transaction changes nothing.
     *
     * @return the RTT sample in nanoseconds, or -1 when {@code tx} is not outstanding on {@code c}
     */
    public long pongReceived(Candidate<K> c, long tx, long now) {
        for (int i = 0; i < MAX_OUTSTANDING; i++) {
            if (c.pendingAt[i] != 0 && c.pendingTx[i] == tx) {
                long sample = Math.max(0, now - c.pendingAt[i]);
                if (c.doubtedSinceNanos != 0 && c.pendingAt[i] >= c.doubtedSinceNanos) {
                    c.doubtedSinceNanos = 0; // a probe sent on the new network came back: the path still works
                }
                c.pendingAt[i] = 0;
                c.pendingTx[i] = 0;
                recordRtt(c, sample, now);
                return sample;
            }
        }
        return -1;
    }

    private void recordRtt(Candidate<K> c, long sample, long now) {
        c.samples[c.sampleCount % SAMPLES] = sample;
        c.sampleCount++;
        long rtt = min(c.samples, Math.min(c.sampleCount, SAMPLES));
        c.answered = true;
        c.lastPongNanos = now;
        c.unanswered = 0;
        if (rtt != c.rttNanos) {
            c.rttNanos = rtt;
            c.view = null;
            viewsStale = true;
        }
        if (c.state != PathState.VALID && c.state != PathState.CLOSED) {
            c.setState(PathState.VALID);
            viewsStale = true;
        }
    }

    /** The smallest of the first {@code n} of {@code s}. */
    static long min(long[] s, int n) {
        long m = s[0];
        for (int i = 1; i < n; i++) {
            m = Math.min(m, s[i]);
        }
        return m;
    }

    /**
     * Applies the timeouts at {@code now}: working paths silent for the path timeout, or in doubt since a change of
     * network and not answering ({@link #probeAllNow}), turn inactive, paths
     * that never answered {@link #ATTEMPTS_BEFORE_UNUSABLE} probes turn unusable.
     *
     * @return whether any state changed (then selection should run again)
     */
    public boolean expire(long now) {
        boolean changed = false;
        for (int i = 0; i < candidates.size(); i++) {
            Candidate<K> c = candidates.get(i);
            if (c.state == PathState.VALID && (now - c.lastPongNanos > timings.pathTimeoutNanos
                    || c.doubtedSinceNanos != 0 && now - c.doubtedSinceNanos > c.doubtWaitNanos)) {
                c.setState(PathState.INACTIVE);
                c.doubtedSinceNanos = 0;
                changed = true;
            } else if (c.state == PathState.VALIDATING && c.unanswered >= ATTEMPTS_BEFORE_UNUSABLE
                    && now - c.lastPingNanos >= timings.heartbeatNanos) {
                c.setState(c.answered ? PathState.INACTIVE : PathState.UNUSABLE);
                changed = true;
            }
        }
        if (changed) {
            viewsStale = true;
            pruneInactive();
        }
        return changed;
    }

    // ------------------------------------------------------------------ selection

    /** The selected path, or null. */
    public Candidate<K> selected() {
        return selected;
    }

    /** Makes {@code c} (one of these candidates, or null) the selected path, as the transport decided. */
    public void select(Candidate<K> c) {
        if (c != null && !candidates.contains(c)) {
            throw new IllegalArgumentException("not a candidate of this set: " + c);
        }
        selected = c;
    }

    /**
     * Asks {@code selector} for the best path; does not change the selection. A selector that throws or
     * answers out of range keeps the current path.
     *
     * @return the chosen candidate, or null when none is usable
     */
    public Candidate<K> choose(PathSelector selector) {
        List<PathCandidate> v = views();
        int current = selected == null ? -1 : candidates.indexOf(selected);
        int pick;
        try {
            pick = selector.select(v, current);
        } catch (RuntimeException e) {
            return selected;
        }
        if (pick < -1 || pick >= candidates.size()) {
            return selected;
        }
        return pick < 0 ? null : candidates.get(pick);
    }

    /** The selector's input: one view per candidate, in order; rebuilt only after a change. */
    public List<PathCandidate> views() {
        if (viewsStale) {
            views.clear();
            for (int i = 0; i < candidates.size(); i++) {
                views.add(candidates.get(i).view());
            }
            viewsStale = false;
        }
        return views;
    }

    // ------------------------------------------------------------------ redundant paths

    /**
     * Closes working direct paths beyond the selected one and its best backup (lowest RTT). Relay paths are
     * never closed. Closed paths are not probed.
     *
     * @return the keys of the paths closed now
     */
    public List<K> closeRedundant() {
        if (selected == null || candidates.size() <= OPEN_DIRECT_PATHS) {
            return List.of();
        }
        List<Candidate<K>> open = new ArrayList<>();
        for (Candidate<K> c : candidates) {
            if (c != selected && c.kind == PathKind.DIRECT && c.state == PathState.VALID) {
                open.add(c);
            }
        }
        int keep = OPEN_DIRECT_PATHS - (selected.kind == PathKind.DIRECT ? 1 : 0);
        if (open.size() <= keep) {
            return List.of();
        }
        open.sort((a, b) -> Long.compare(a.rttNanos, b.rttNanos));
        List<K> closed = new ArrayList<>();
        for (Candidate<K> c : open.subList(keep, open.size())) {
            c.setState(PathState.CLOSED);
            closed.add(c.key);
        }
        viewsStale = true;
        pruneInactive();
        return closed;
    }

    /**
     * Reopens closed paths when fewer than {@link #OPEN_DIRECT_PATHS} direct paths work; they are probed
     * again at once.
     *
     * @return whether any was reopened
     */
    public boolean reopenIfNeeded() {
        int working = 0;
        boolean anyClosed = false;
        for (Candidate<K> c : candidates) {
            if (c.kind == PathKind.DIRECT && c.state == PathState.VALID) {
                working++;
            }
            anyClosed |= c.state == PathState.CLOSED;
        }
        if (working >= OPEN_DIRECT_PATHS || !anyClosed) {
            return false;
        }
        for (Candidate<K> c : candidates) {
            if (c.state == PathState.CLOSED) {
                c.setState(PathState.VALIDATING);
                c.pinged = false;
                c.unanswered = 0;
                Arrays.fill(c.pendingAt, 0);
            }
        }
        viewsStale = true;
        return true;
    }

    @Override
    public String toString() {
        return "CandidateSet" + candidates + (selected != null ? " selected " + selected.key : "");
    }
}
