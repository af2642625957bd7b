package org.quiver.transport.quic.impl;

import org.quiver.api.PathKind;
import org.quiver.api.PathState;
import org.quiver.spi.path.PathCandidate;

/**
 * One candidate path of a {@link CandidateSet} and what probes found about it: its state, RTT samples and estimate,
 * outstanding probes, and the selector's view of it. Owned and changed by its set only (the endpoint's event loop).
 *
 * @param <K> how the path is addressed (a {@link PathAddr})
 */
public final class Candidate<K> {
    final K key;
    final PathKind kind;
    final boolean ipv6;
    CandidateSet.Source source;
    final long seq;
    PathState state = PathState.UNKNOWN;
    final long[] samples = new long[CandidateSet.SAMPLES];
    int sampleCount;
    long rttNanos = PathCandidate.UNKNOWN_RTT;
    long lastPingNanos;
    long lastPongNanos;
    /**
     * When this working path was put in doubt (0: not in doubt), by a change of our network ({@link
     * CandidateSet#probeAllNow}) or the peer's packets arriving through the relay ({@link CandidateSet#doubtSelectedDirect}).
     */
    long doubtedSinceNanos;
    /** How long a probe sent since then has to answer before {@link CandidateSet#expire} leaves the path. */
    long doubtWaitNanos;
    boolean pinged;
    /** Whether, and when, a ping of the peer's that got through was last answered with a ping ({@link CandidateSet#punchBack}). */
    boolean punchedBack;
    long punchedBackNanos;
    boolean answered;
    int unanswered;
    final long[] pendingTx = new long[CandidateSet.MAX_OUTSTANDING];
    final long[] pendingAt = new long[CandidateSet.MAX_OUTSTANDING];
    int pendingNext;
    PathCandidate view;
    final String remote;

    Candidate(K key, String remote, PathKind kind, boolean ipv6, CandidateSet.Source source, long seq) {
        this.key = key;
        this.remote = remote;
        this.kind = kind;
        this.ipv6 = ipv6;
        this.source = source;
        this.seq = seq;
    }

    public K key() {
        return key;
    }

    public PathKind kind() {
        return kind;
    }

    /** How the path is described: {@code 192.0.2.1:4433}, {@code [2001:db8::1]:4433}, a relay URL. */
    public String remote() {
        return remote;
    }

    public CandidateSet.Source source() {
        return source;
    }

    public PathState state() {
        return state;
    }

    /** The RTT estimate in nanoseconds, or {@link PathCandidate#UNKNOWN_RTT}. */
    public long rttNanos() {
        return rttNanos;
    }

    /** When the last probe was sent ({@code System.nanoTime()}), if one was. */
    public boolean pinged() {
        return pinged;
    }

    public long lastPingNanos() {
        return lastPingNanos;
    }

    /** Whether it ever answered a probe. */
    public boolean answered() {
        return answered;
    }

    public long lastPongNanos() {
        return lastPongNanos;
    }

    /** Whether the path counts as working (valid). */
    public boolean valid() {
        return state == PathState.VALID;
    }

    /** The selector's view; the same object until the state or RTT changes. */
    public PathCandidate view() {
        PathCandidate v = view;
        if (v == null) {
            v = new PathCandidate(kind, remote, ipv6, rttNanos, state == PathState.VALID);
            view = v;
        }
        return v;
    }

    void setState(PathState s) {
        if (state != s) {
            state = s;
            view = null;
        }
    }

    int pruneRank() {
        switch (state) {
            case UNUSABLE:
                return 0;
            case INACTIVE:
            case CLOSED:
                return 1;
            case UNKNOWN:
                return 2;
            case VALIDATING:
                return 3;
            default:
                return 4;
        }
    }

    @Override
    public String toString() {
        return kind + " " + remote + " " + state + (rttNanos >= 0 ? String.format(java.util.Locale.ROOT, " %.2fms", rttNanos / 1e6) : "");
    }
}
