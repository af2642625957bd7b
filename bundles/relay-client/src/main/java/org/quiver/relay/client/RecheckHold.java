package org.quiver.relay.client;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The datagram frames a {@link RelayClient} sent lately and while its connection was in question after a change of
 * network ({@link RelayClient#recheck}), kept to be written again on the next connection. After a move the old
 * connection is usually dead: what went into it since the move (before the change was even noticed) is lost, and so
 * is what is sent while the client reconnects. QUIC would resend it only when its probe timeout fires, which by then
 * has backed off to a second or more; written again at once on the new connection, it goes on as soon as the relay is
 * back. A frame that did arrive on the old connection arrives twice, which QUIC ignores.
 *
 * <p>Every frame sent is kept for {@link #RECENT_NANOS} (the time a change of network takes to be noticed, and some);
 * while the connection is in question (from {@link #start}: the recheck) nothing is let go by age. {@link #offer}
 * from any sender thread, the rest on the client's event loop. Bounded: at most {@link #MAX_FRAMES} frames and
 * {@link #MAX_BYTES} bytes (the oldest let go first), and a frame older than {@link #MAX_AGE_NANOS} when the new
 * connection is up is not written again. The client takes what is kept whenever a new connection is up (also after a
 * relay restart, where the same holds) and clears it when it closes.
 */
final class RecheckHold {
    static final int MAX_FRAMES = 512;
    static final int MAX_BYTES = 1 << 20;
    static final long MAX_AGE_NANOS = 2_000_000_000L;
    /** How long a frame sent on a connection nobody doubts is kept: the network watch's 250 ms, twice. */
    static final long RECENT_NANOS = 500_000_000L;

    /**
     * A frame kept at {@code atNanos}; {@code onlyHere} when it was kept instead of sent (no connection at the time),
     * not as a copy of one written to the connection in question.
     */
    record Held(ByteBuffer frame, long atNanos, boolean onlyHere) {}

    private final ConcurrentLinkedQueue<Held> held = new ConcurrentLinkedQueue<>();
    private final AtomicInteger frames = new AtomicInteger();
    private final AtomicInteger bytes = new AtomicInteger();
    private volatile boolean holding;
    /** Frames kept instead of sent that had to be let go for room before they could be written. */
    private final AtomicInteger evictedOnlyHere = new AtomicInteger();

    /** Whether the connection is in question now (from {@link #start} to {@link #stop} or {@link #take}). */
    boolean holding() {
        return holding;
    }

    /** The connection is in question from now on: nothing kept is let go by age until {@link #stop} or {@link #take}. Event loop. */
    void start() {
        holding = true;
    }

    /**
     * Keeps {@code frame} (a whole encoded frame, not changed by anyone from now on) at {@code now}, {@code onlyHere}
     * when it is not written anywhere else, letting the oldest go for room; false when it is larger than the whole
     * hold. Any thread.
     */
    boolean offer(ByteBuffer frame, long now, boolean onlyHere) {
        int n = frame.remaining();
        if (n > MAX_BYTES) {
            return false;
        }
        held.add(new Held(frame, now, onlyHere)); // not copied: nobody changes it (netty wraps its array, position untouched)
        frames.incrementAndGet();
        bytes.addAndGet(n);
        // room: the oldest go first (an onlyHere one among them is lost: counted by the caller's next stop or take
        // as not written), and while nobody doubts the connection, whatever is older than RECENT_NANOS
        Held h;
        while ((h = held.peek()) != null && (frames.get() > MAX_FRAMES || bytes.get() > MAX_BYTES
                || !holding && now - h.atNanos() > RECENT_NANOS)) {
            if (held.remove(h)) {
                frames.decrementAndGet();
                bytes.addAndGet(-h.frame().remaining());
                if (h.onlyHere()) {
                    evictedOnlyHere.incrementAndGet();
                }
            }
        }
        return true;
    }

    /**
     * The connection answered after all: it is no longer in question (recent frames are still kept as always);
     * returns how many frames kept instead of sent were let go (lost). Event loop.
     */
    int stop() {
        holding = false;
        return evictedOnlyHere.getAndSet(0);
    }

    /**
     * The connection is no longer in question; every frame kept, oldest first (the caller writes those younger than
     * {@link #MAX_AGE_NANOS}), and none is kept any more. Event loop.
     */
    List<Held> take() {
        holding = false;
        List<Held> out = new ArrayList<>();
        Held h;
        while ((h = held.poll()) != null) {
            frames.decrementAndGet();
            bytes.addAndGet(-h.frame().remaining());
            out.add(h);
        }
        return out;
    }

    /** Forgets every frame kept (the client closes); returns how many of them, and of those let go, were kept instead of sent. Any thread. */
    int clear() {
        holding = false;
        int lost = evictedOnlyHere.getAndSet(0);
        Held h;
        while ((h = held.poll()) != null) {
            frames.decrementAndGet();
            bytes.addAndGet(-h.frame().remaining());
            lost += h.onlyHere() ? 1 : 0;
        }
        return lost;
    }

    /** Frames kept now (for tests). */
    int size() {
        return frames.get();
    }
}
