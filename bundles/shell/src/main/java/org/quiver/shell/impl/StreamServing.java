package org.quiver.shell.impl;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.BiStream;
import org.quiver.api.Connection;
import org.quiver.api.EndpointId;

/**
 * How a built-in protocol's streams are served so that no peer can starve the others: each stream on a worker
 * thread (a bounded pool), at most {@code perPeer} of one peer's streams at once (more are reset at once, code 3),
 * and a stream that makes no progress for {@code idle} is reset (code 4) and its worker interrupted, so a silent
 * peer holds no thread for long. A protocol reports progress (bytes moved) through the {@link Runnable} it is
 * given; one that never does has {@code idle} as its whole deadline.
 *
 * <p>Owns its worker threads and one deadline thread; {@link #close()} stops them. Touched by the endpoint's
 * threads (streams arriving), the workers and the deadline thread.
 */
final class StreamServing implements AutoCloseable {
    /** Streams one peer has served at once per protocol, by default. */
    static final int PER_PEER = 4;

    /** Serves one stream; calls {@code progress} whenever bytes moved. */
    interface StreamServer {
        void serve(BiStream s, Runnable progress) throws Exception;
    }

    private final ExecutorService workers;
    private final ScheduledExecutorService deadlines;
    private final int perPeer;
    private final long idleNanos;
    private final Map<EndpointId, AtomicInteger> active = new ConcurrentHashMap<>();
    private final Set<Served> serving = ConcurrentHashMap.newKeySet();
    /** Streams reset because their peer had {@code perPeer} being served already. */
    final LongAdder overLimit = new LongAdder();
    /** Streams reset because they made no progress for {@code idle}. */
    final LongAdder timedOut = new LongAdder();
    /** Streams reset because every worker was busy and the queue full. */
    final LongAdder busy = new LongAdder();

    StreamServing(String name, int perPeer, Duration idle) {
        this.workers = BuiltinHandlers.workers(name);
        this.perPeer = perPeer;
        this.idleNanos = idle.toNanos();
        this.deadlines = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quiver-" + name + "-deadlines");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(TimeUnit.MILLISECONDS.toNanos(50), idleNanos / 4);
        deadlines.scheduleWithFixedDelay(this::expire, every, every, TimeUnit.NANOSECONDS);
    }

    /** One stream being served: its worker and when it last made progress. */
    private static final class Served {
        final BiStream stream;
        final Thread worker;
        volatile long lastProgress = System.nanoTime();
        /** Set by the worker when it is done with the stream (under the lock: no deadline interrupts it after). */
        boolean done;

        Served(BiStream stream, Thread worker) {
            this.stream = stream;
            this.worker = worker;
        }
    }

    /** Serves every stream the peer opens on {@code c} with {@code server} until the connection closes; returns at once. */
    void serve(Connection c, StreamServer server) {
        c.acceptBi().whenComplete((s, closed) -> {
            if (closed != null) {
                return;
            }
            one(c.remoteId(), s, server);
            serve(c, server);
        });
    }

    private void one(EndpointId peer, BiStream s, StreamServer server) {
        AtomicInteger n = active.computeIfAbsent(peer, k -> new AtomicInteger());
        if (n.incrementAndGet() > perPeer) {
            release(peer, n);
            overLimit.increment();
            s.send().reset(3);
            s.recv().stop(3);
            return;
        }
        try {
            workers.execute(() -> {
                Served sv = new Served(s, Thread.currentThread());
                serving.add(sv);
                try {
                    server.serve(s, () -> sv.lastProgress = System.nanoTime());
                } catch (Protocols.Told told) {
                    // the peer has the answer: its stream ended normally
                } catch (Exception e) {
                    s.send().reset(1);
                } finally {
                    serving.remove(sv);
                    synchronized (sv) {
                        sv.done = true;
                    }
                    Thread.interrupted(); // an interrupt for a deadline must not reach the worker's next stream
                    release(peer, n);
                }
            });
        } catch (RejectedExecutionException full) {
            release(peer, n);
            busy.increment();
            s.send().reset(2);
        }
    }

    private void release(EndpointId peer, AtomicInteger n) {
        if (n.decrementAndGet() <= 0) {
            active.remove(peer, n);
        }
    }

    /** Deadline thread: resets the streams that made no progress for too long and frees their workers. */
    private void expire() {
        long now = System.nanoTime();
        for (Served sv : serving) {
            if (now - sv.lastProgress > idleNanos && serving.remove(sv)) {
                synchronized (sv) {
                    if (!sv.done) {
                        timedOut.increment();
                        sv.stream.send().reset(4);
                        sv.stream.recv().stop(4);
                        sv.worker.interrupt(); // a blocking read waiting for the silent peer ends now
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
        workers.shutdownNow();
    }
}
