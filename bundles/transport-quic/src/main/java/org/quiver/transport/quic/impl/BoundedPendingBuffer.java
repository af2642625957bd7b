package org.quiver.transport.quic.impl;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Messages waiting for their peer, bounded every way (seed plan 1.1, with the seed's expiry accounting bug
 * fixed and the limits it lacked added):
 * <ul>
 *   <li>per peer at most {@link Limits#maxBytesPerPeer} bytes and {@link Limits#maxMessagesPerPeer}
 *       messages: a push beyond either drops that peer's oldest messages until the new one fits;</li>
 *   <li>a single message larger than the per-peer byte limit is refused ({@link MessageTooLargeException});</li>
 *   <li>at most {@link Limits#maxPeers} peers and {@link Limits#maxTotalBytes} bytes in all: a push that
 *       would pass them is refused ({@link BufferFullException}) rather than evicting other peers' data;</li>
 *   <li>messages older than {@link Limits#ttl} are removed by {@link #cleanupExpired()}.</li>
 * </ul>
 * No message is lost silently: every message pushed is either taken back ({@link #pop}, {@link #drain}) or
 * handed to the {@link DropListener} with the reason, exactly once. The listener is called after the
 * buffer's lock is released, on the calling thread. Thread-safe.
 *
 * @param <K> the peer key
 * @param <M> the message type; its size in bytes comes from the sizer
 */
public final class BoundedPendingBuffer<K, M> {
    /**
     * The limits.
     *
     * @param maxBytesPerPeer    bytes held per peer
     * @param maxMessagesPerPeer messages held per peer
     * @param ttl                how long a message may wait
     * @param maxPeers           peers with messages at once
     * @param maxTotalBytes      bytes held in all
     */
    public record Limits(long maxBytesPerPeer, int maxMessagesPerPeer, Duration ttl, int maxPeers, long maxTotalBytes) {
        /** The seed's per-peer limits (1 MiB, 100 messages, 30 s), 1,024 peers and 64 MiB in all. */
        public static final Limits DEFAULT = new Limits(1 << 20, 100, Duration.ofSeconds(30), 1024, 64L << 20);

        public Limits {
            Objects.requireNonNull(ttl, "ttl");
            if (maxBytesPerPeer < 1 || maxMessagesPerPeer < 1 || maxPeers < 1 || maxTotalBytes < maxBytesPerPeer
                    || ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("buffer limits must be positive and the total at least one peer's bytes: " + maxBytesPerPeer
                        + " B/peer, " + maxMessagesPerPeer + " messages/peer, ttl " + ttl + ", " + maxPeers + " peers, " + maxTotalBytes + " B in all");
            }
        }
    }

    /** Why a message left the buffer without being taken. */
    public enum Reason {
        /** Its peer's limits were reached and it was the oldest. */
        OVERFLOW,
        /** It waited longer than the time to live. */
        EXPIRED,
        /** Its peer's messages were cleared (the peer is gone, the buffer closed). */
        CLEARED
    }

    /** Told of every message that leaves the buffer without being taken. */
    @FunctionalInterface
    public interface DropListener<K, M> {
        void dropped(K peer, M message, Reason reason);
    }

    /** A single message larger than a peer's byte limit: it can never fit. */
    public static final class MessageTooLargeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        MessageTooLargeException(long size, long max) {
            super("A message of " + size + " bytes cannot be buffered: the limit per peer is " + max + " bytes");
        }
    }

    /** The buffer holds as many peers or bytes as it may; nothing was dropped to make room. */
    public static final class BufferFullException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        BufferFullException(String message) {
            super(message);
        }
    }

    /**
     * A snapshot of the buffer.
     *
     * @param peers    peers with messages waiting
     * @param messages messages waiting
     * @param bytes    bytes waiting
     * @param dropped  messages dropped on overflow so far
     * @param expired  messages expired so far
     */
    public record Stats(int peers, long messages, long bytes, long dropped, long expired) {}

    private record Entry<M>(M message, long size, long createdNanos) {}

    private static final class Queue<M> {
        final ArrayDeque<Entry<M>> entries = new ArrayDeque<>();
        long bytes;
    }

    private record Drop<K, M>(K peer, M message, Reason reason) {}

    private final Limits limits;
    private final ToLongFunction<? super M> sizer;
    private final LongSupplier nanoClock;
    private final DropListener<K, M> listener;
    private final Map<K, Queue<M>> queues = new HashMap<>();
    private long messages;
    private long bytes;
    private long dropped;
    private long expired;

    /**
     * @param limits    the limits
     * @param sizer     a message's size in bytes (never negative)
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
     * @param listener  told of every message dropped, expired or cleared
     */
    public BoundedPendingBuffer(Limits limits, ToLongFunction<? super M> sizer, LongSupplier nanoClock, DropListener<K, M> listener) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sizer = Objects.requireNonNull(sizer, "sizer");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Queues {@code message} for {@code peer}, dropping that peer's oldest messages (told to the listener as
     * {@link Reason#OVERFLOW}) until it fits.
     *
     * @throws MessageTooLargeException if the message alone passes the per-peer byte limit
     * @throws BufferFullException      if the buffer holds as many peers, or bytes in all, as it may
     */
    public void push(K peer, M message) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(message, "message");
        long size = sizer.applyAsLong(message);
        if (size < 0) {
            throw new IllegalArgumentException("negative message size " + size);
        }
        if (size > limits.maxBytesPerPeer) {
            throw new MessageTooLargeException(size, limits.maxBytesPerPeer);
        }
        List<Drop<K, M>> drops = null;
        synchronized (this) {
            Queue<M> q = queues.get(peer);
            if (q == null && queues.size() >= limits.maxPeers) {
                throw new BufferFullException("The pending buffer already holds messages for " + limits.maxPeers + " peers");
            }
            long freed = 0;
            if (q != null) {
                // what overflow would drop from this peer to make room
                long peerBytes = q.bytes;
                int count = q.entries.size();
                Iterator<Entry<M>> it = q.entries.iterator();
                while ((peerBytes + size > limits.maxBytesPerPeer || count >= limits.maxMessagesPerPeer) && it.hasNext()) {
                    long s = it.next().size;
                    peerBytes -= s;
                    freed += s;
                    count--;
                }
            }
            if (bytes - freed + size > limits.maxTotalBytes) {
                throw new BufferFullException("The pending buffer holds " + bytes + " bytes; " + size + " more would pass its limit of "
                        + limits.maxTotalBytes);
            }
            if (q == null) {
                q = new Queue<>();
                queues.put(peer, q);
            }
            while (q.bytes + size > limits.maxBytesPerPeer || q.entries.size() >= limits.maxMessagesPerPeer) {
                Entry<M> old = q.entries.pollFirst();
                remove(q, old);
                dropped++;
                if (drops == null) {
                    drops = new ArrayList<>(1);
                }
                drops.add(new Drop<>(peer, old.message, Reason.OVERFLOW));
            }
            q.entries.addLast(new Entry<>(message, size, nanoClock.getAsLong()));
            q.bytes += size;
            messages++;
            bytes += size;
        }
        notify(drops);
    }

    private void remove(Queue<M> q, Entry<M> e) {
        q.bytes -= e.size;
        messages--;
        bytes -= e.size;
    }

    /** Takes {@code peer}'s oldest message, or null. */
    public synchronized M pop(K peer) {
        Queue<M> q = queues.get(peer);
        if (q == null) {
            return null;
        }
        Entry<M> e = q.entries.pollFirst();
        remove(q, e);
        if (q.entries.isEmpty()) {
            queues.remove(peer);
        }
        return e.message;
    }

    /** Takes every message of {@code peer}, oldest first (empty if none). */
    public synchronized List<M> drain(K peer) {
        Queue<M> q = queues.remove(peer);
        if (q == null) {
            return List.of();
        }
        List<M> out = new ArrayList<>(q.entries.size());
        for (Entry<M> e : q.entries) {
            out.add(e.message);
            messages--;
            bytes -= e.size;
        }
        return out;
    }

    /** {@code peer}'s oldest message, left in place, or null. */
    public synchronized M peekOldest(K peer) {
        Queue<M> q = queues.get(peer);
        return q == null ? null : q.entries.peekFirst().message;
    }

    public synchronized int messageCount(K peer) {
        Queue<M> q = queues.get(peer);
        return q == null ? 0 : q.entries.size();
    }

    public synchronized long totalBytes(K peer) {
        Queue<M> q = queues.get(peer);
        return q == null ? 0 : q.bytes;
    }

    /** Removes {@code peer}'s messages, telling the listener ({@link Reason#CLEARED}); returns how many. */
    public int clearPeer(K peer) {
        List<Drop<K, M>> drops = new ArrayList<>();
        synchronized (this) {
            Queue<M> q = queues.remove(peer);
            if (q != null) {
                for (Entry<M> e : q.entries) {
                    messages--;
                    bytes -= e.size;
                    drops.add(new Drop<>(peer, e.message, Reason.CLEARED));
                }
            }
        }
        notify(drops);
        return drops.size();
    }

    /** Removes every message older than the time to live, telling the listener ({@link Reason#EXPIRED}); returns how many. */
    public int cleanupExpired() {
        List<Drop<K, M>> drops = new ArrayList<>();
        synchronized (this) {
            long now = nanoClock.getAsLong();
            long ttl = limits.ttl.toNanos();
            for (Iterator<Map.Entry<K, Queue<M>>> it = queues.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<K, Queue<M>> peer = it.next();
                Queue<M> q = peer.getValue();
                // entries are in arrival order, so the expired ones are a prefix
                while (!q.entries.isEmpty() && now - q.entries.peekFirst().createdNanos >= ttl) {
                    Entry<M> e = q.entries.pollFirst();
                    remove(q, e);
                    expired++;
                    drops.add(new Drop<>(peer.getKey(), e.message, Reason.EXPIRED));
                }
                if (q.entries.isEmpty()) {
                    it.remove();
                }
            }
        }
        notify(drops);
        return drops.size();
    }

    /** Removes everything, telling the listener ({@link Reason#CLEARED}). */
    public void clear() {
        List<Drop<K, M>> drops = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<K, Queue<M>> peer : queues.entrySet()) {
                for (Entry<M> e : peer.getValue().entries) {
                    drops.add(new Drop<>(peer.getKey(), e.message, Reason.CLEARED));
                }
            }
            queues.clear();
            messages = 0;
            bytes = 0;
        }
        notify(drops);
    }

    public synchronized Stats stats() {
        return new Stats(queues.size(), messages, bytes, dropped, expired);
    }

    private void notify(List<Drop<K, M>> drops) {
        if (drops == null) {
            return;
        }
        for (Drop<K, M> d : drops) {
            try {
                listener.dropped(d.peer, d.message, d.reason);
            } catch (RuntimeException e) {
                // a failing listener must not break the buffer nor hide the other drops
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "BoundedPendingBuffer{" + queues.size() + " peers, " + messages + " messages, " + bytes + " bytes}";
    }
}
