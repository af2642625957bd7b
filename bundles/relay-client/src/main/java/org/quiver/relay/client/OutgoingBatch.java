package org.quiver.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The datagram frames a {@link RelayClient} was handed and has not written yet: every sender thread adds to it, and
 * one task on the client's event loop writes all that is there and flushes once. QUIC hands a burst of datagrams
 * over one by one; written and flushed each on its own they cost a task and a {@code write} call apiece, batched
 * they leave in one {@code writev}.
 *
 * <p>{@link #add} from any thread (bounded in bytes: beyond that it refuses, and the caller counts the drop); the
 * drain on the client's loop only, the loop its connections are registered on. Holds nothing once drained; frames
 * whose connection closed meanwhile are released and counted. Stopped with its client: {@link #clear} releases what
 * waits.
 */
final class OutgoingBatch {
    private record Frame(Channel channel, ByteBuf content) {}

    private final EventLoop loop;
    private final int maxBytes;
    /** The client's count of dropped datagrams: frames whose connection closed before they were written count there. */
    private final java.util.concurrent.atomic.LongAdder dropped;
    private final ConcurrentLinkedQueue<Frame> waiting = new ConcurrentLinkedQueue<>();
    /** Bytes of the frames waiting. */
    private final AtomicInteger bytes = new AtomicInteger();
    private final AtomicBoolean drainQueued = new AtomicBoolean();

    /**
     * A batch drained on {@code loop} that holds at most {@code maxBytes} of frames (the connection's write buffer
     * high-water mark: frames waiting here are not in the socket's buffer yet, so its writability does not see them).
     */
    OutgoingBatch(EventLoop loop, int maxBytes, java.util.concurrent.atomic.LongAdder dropped) {
        this.loop = loop;
        this.maxBytes = maxBytes;
        this.dropped = dropped;
    }

    /** Queues {@code content} (a whole encoded relay frame, owned from now on) for {@code channel}; false when full (released). */
    boolean add(Channel channel, ByteBuf content) {
        int length = content.readableBytes();
        if (bytes.addAndGet(length) > maxBytes) {
            bytes.addAndGet(-length);
            content.release();
            return false;
        }
        waiting.add(new Frame(channel, content));
        if (drainQueued.compareAndSet(false, true)) {
            try {
                loop.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                clear(); // the loop is gone, and the connection with it
                return false;
            }
        }
        return true;
    }

    /** Writes every waiting frame to its connection and flushes each connection once. Event loop. */
    private void drain() {
        drainQueued.set(false); // first: a frame added after this point queues another drain, or is taken below
        Channel written = null;
        Frame f;
        while ((f = waiting.poll()) != null) {
            bytes.addAndGet(-f.content().readableBytes());
            if (!f.channel().isActive()) { // the connection ended meanwhile: QUIC resends what matters
                f.content().release();
                dropped.increment();
                continue;
            }
            if (written != null && written != f.channel()) {
                written.flush();
            }
            f.channel().write(new BinaryWebSocketFrame(f.content()), f.channel().voidPromise());
            written = f.channel();
        }
        if (written != null) {
            written.flush();
        }
    }

    /** Releases every waiting frame (the client is closing), counted as dropped. Any thread. */
    void clear() {
        Frame f;
        while ((f = waiting.poll()) != null) {
            bytes.addAndGet(-f.content().readableBytes());
            f.content().release();
            dropped.increment();
        }
    }
}
