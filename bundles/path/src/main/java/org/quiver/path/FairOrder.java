package org.quiver.path;

/**
 * Receive fairness between the direct (UDP) and relay sources (seed plan 3.2, iroh's poll_recv): each
 * round starts with the other source, so a flood on one cannot starve the other. One instance per
 * receiving loop; not thread-safe.
 */
public final class FairOrder {
    private long counter;

    /** Whether this round starts with the direct source (even rounds) or the relay source (odd ones). */
    public boolean directFirst() {
        return (counter++ & 1) == 0;
    }

    /** Sets the round counter (wrap-around is harmless). */
    void setCounter(long value) {
        counter = value;
    }
}
