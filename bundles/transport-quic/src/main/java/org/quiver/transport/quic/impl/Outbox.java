package org.quiver.transport.quic.impl;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.Messages;
import org.quiver.api.QuiverException;
import org.quiver.api.SendStream;

/**
 * What {@link org.quiver.api.Endpoint#send} sends: messages per (peer, ALPN) wait in the
 * {@link BoundedPendingBuffer} until their connection and its message stream are up, then are written in
 * order, at most {@link #IN_FLIGHT_BYTES} not yet taken by the transport at a time (the rest stay in the
 * buffer, under its limits and time to live). Every message's future completes when the transport took it,
 * or fails saying why it was not sent. Thread-safe; never blocks: the stream writes are asynchronous.
 */
final class Outbox {
    /** Bytes written to a message stream and not yet taken under flow control, per lane. */
    static final long IN_FLIGHT_BYTES = 256 * 1024;

    record Key(EndpointId id, String alpn) {}

    /** A message and the future its sender holds. */
    record Pending(byte[] data, CompletableFuture<Void> done) {}

    /** One (peer, ALPN): its connection attempt, then its message stream. Guarded by itself. */
    private final class Lane {
        final Key key;
        SendStream stream;
        long inFlight;
        boolean pumping;
        boolean again;

        Lane(Key key) {
            this.key = key;
        }
    }

    private final BoundedPendingBuffer<Key, Pending> buffer;
    private final BiFunction<EndpointAddr, String, CompletionStage<Connection>> connector;
    private final Map<Key, Lane> lanes = new ConcurrentHashMap<>();

    private final java.util.concurrent.Executor pool;
    private volatile boolean closing;

    /** A sender's completion on its way to the pool: run in place if the pool is gone (see {@link #runLeftOver}). */
    static final class Callback implements Runnable {
        private final Runnable task;

        Callback(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            task.run();
        }
    }

    /** Completions run on the pool; once the endpoint closes (or the pool refuses), in place. */
    private final java.util.concurrent.Executor callbacks = task -> {
        if (closing) {
            task.run();
            return;
        }
        try {
            pool().execute(new Callback(task));
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            task.run();
        }
    };

    /**
     * @param callbacks the pool where the futures handed to senders complete, so that what a sender chains
     *                  to them never runs on the event loop
     * @param dropped   told of every message that leaves the buffer unsent (metrics, events)
     */
    Outbox(BoundedPendingBuffer.Limits limits, java.util.function.LongSupplier clock,
           BiFunction<EndpointAddr, String, CompletionStage<Connection>> connector,
           java.util.concurrent.Executor callbacks, BoundedPendingBuffer.DropListener<Key, Pending> dropped) {
        this.connector = connector;
        this.pool = callbacks;
        this.buffer = new BoundedPendingBuffer<>(limits, p -> p.data.length, clock, (key, p, reason) -> {
            dropped.dropped(key, p, reason);
            p.done.completeExceptionally(new QuiverException(switch (reason) {
                    case OVERFLOW -> "Dropped: more than " + limits.maxMessagesPerPeer() + " messages or " + limits.maxBytesPerPeer()
                            + " bytes were waiting for " + key.id.shortString() + " (" + key.alpn + ")";
                    case EXPIRED -> "Expired: no connection to " + key.id.shortString() + " (" + key.alpn + ") within " + limits.ttl().toSeconds() + " s";
                    case CLEARED -> "Not sent: the connection to " + key.id.shortString() + " (" + key.alpn + ") failed or closed first";
                }));
        });
    }

    /** A drop listener that counts drops in {@code metrics} and posts {@code BUFFER_DROPPED} through {@code events}. */
    static BoundedPendingBuffer.DropListener<Key, Pending> reporting(Metrics metrics, Events events) {
        return (key, p, reason) -> {
            if (reason == BoundedPendingBuffer.Reason.OVERFLOW) {
                metrics.get().bufferDropped(p.data().length);
            } else if (reason == BoundedPendingBuffer.Reason.EXPIRED) {
                metrics.get().bufferExpired(p.data().length);
            }
            events.post(org.quiver.api.EventTopics.BUFFER_DROPPED, org.quiver.api.EventTopics.PEER_ID, key.id().toString(),
                    org.quiver.api.EventTopics.ALPN, key.alpn(), org.quiver.api.EventTopics.REASON, reason.name(),
                    org.quiver.api.EventTopics.BYTES, (long) p.data().length);
        };
    }

    CompletionStage<Void> send(EndpointAddr to, String alpn, byte[] message) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(alpn, "alpn");
        Key key = new Key(to.id(), alpn);
        Pending p = new Pending(message.clone(), new CompletableFuture<>());
        try {
            buffer.push(key, p);
        } catch (IllegalArgumentException | IllegalStateException refused) { // too large, buffer full
            return CompletableFuture.failedFuture(new QuiverException("Cannot send to " + to.id().shortString() + ": " + refused.getMessage(), refused));
        }
        boolean[] created = {false};
        Lane lane = lanes.computeIfAbsent(key, k -> {
            created[0] = true;
            return new Lane(k);
        });
        if (created[0]) {
            connect(lane, to); // the first message for this peer and ALPN: it waits for the connection
        } else {
            pump(lane);
        }
        // what the sender chains to this runs on the handler pool, never on the event loop that completes p.done
        return p.done.whenCompleteAsync((v, e) -> { }, callbacks);
    }

    private void connect(Lane lane, EndpointAddr to) {
        connector.apply(to, lane.key.alpn)
                .thenCompose(conn -> {
                    conn.closed().whenComplete((info, e) -> closed(lane));
                    return conn.openUni();
                })
                .whenComplete((stream, failure) -> {
                    if (failure != null) {
                        closed(lane);
                        return;
                    }
                    synchronized (lane) {
                        lane.stream = stream;
                    }
                    pump(lane);
                });
    }

    /** The lane's connection failed or closed: what still waits is failed; a later send connects again. */
    private void closed(Lane lane) {
        lanes.remove(lane.key, lane);
        buffer.clearPeer(lane.key);
    }

    /** Writes waiting messages while the lane has room in flight; re-entrant calls just ask for another round. */
    private void pump(Lane lane) {
        synchronized (lane) {
            if (lane.stream == null) {
                return;
            }
            if (lane.pumping) {
                lane.again = true;
                return;
            }
            lane.pumping = true;
        }
        while (true) {
            Pending p;
            SendStream stream;
            synchronized (lane) {
                p = lane.inFlight < IN_FLIGHT_BYTES ? buffer.pop(lane.key) : null;
                if (p == null) {
                    if (lane.again) {
                        lane.again = false;
                        continue;
                    }
                    lane.pumping = false;
                    return;
                }
                lane.inFlight += p.data.length;
                stream = lane.stream;
            }
            long size = p.data.length;
            stream.write(Messages.frame(p.data)).whenComplete((v, e) -> {
                synchronized (lane) {
                    lane.inFlight -= size;
                }
                if (e != null) {
                    p.done.completeExceptionally(new QuiverException("Not sent to " + lane.key.id.shortString() + ": " + e.getMessage(), e));
                } else {
                    p.done.complete(null);
                }
                pump(lane);
            });
        }
    }

    private java.util.concurrent.Executor pool() {
        return pool;
    }

    /** Fails whatever still waits (the endpoint is closing); from now on senders' futures complete in place. */
    void close() {
        closing = true;
        buffer.clear();
        lanes.clear();
    }

    /** Runs the completions a pool that was shut down never started, so that no sender waits forever. */
    static void runLeftOver(List<Runnable> notStarted) {
        for (Runnable r : notStarted) {
            if (r instanceof Callback) {
                r.run();
            }
        }
    }

    /** Drops what waited too long; called periodically by the endpoint. */
    int expire() {
        return buffer.cleanupExpired();
    }

    BoundedPendingBuffer.Stats stats() {
        return buffer.stats();
    }
}
