package org.quiver.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.quiver.relay.protocol.Codec;

/**
 * The datagram frames a {@link RelayClient} was handed and has not written yet: every sender thread adds to it, and
 * one task on the client's event loop writes all that is there and flushes once. QUIC hands a burst of datagrams
 * over one by one; written and flushed each on its own they cost a task and a {@code write} call apiece, batched
 * they leave in one {@code writev}. To a relay that takes batches ({@link #BATCHES} set on the connection) the frames
 * of one drain for one connection also go in as few WebSocket messages as fit ({@link Codec#BATCH}): one message,
 * one frame header and one pass of the masking for a burst, not one per datagram.
 *
 * <p>{@link #add} from any thread (bounded in bytes: beyond that it refuses, and the caller counts the drop); the
 * drain on the client's loop only, the loop its connections are registered on. Holds nothing once drained; frames
 * whose connection closed meanwhile are released and counted. Stopped with its client: {@link #clear} releases what
 * waits.
 */
final class OutgoingBatch {
    private record Frame(Channel channel, ByteBuf content) {}

    /** Set on a connection whose relay sent a batch: it takes batches (the client's event loop sets and reads it). */
    static final io.netty.util.AttributeKey<Boolean> BATCHES = io.netty.util.AttributeKey.valueOf("quiver.relay.batches");

    /**
     * A frame longer than this goes in a message of its own (after the batch so far): a burst of datagrams in one
     * segmented frame is its own batch already, and copying it into another message would cost a copy of the burst.
     */
    static final int ALONE = 4096;

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
        ByteBuf batch = null; // the message being filled for written, when its relay takes batches
        Frame f;
        while ((f = waiting.poll()) != null) {
            ByteBuf content = f.content();
            Channel ch = f.channel();
            bytes.addAndGet(-content.readableBytes());
            if (!ch.isActive()) { // the connection ended meanwhile: QUIC resends what matters
                content.release();
                dropped.increment();
                continue;
            }
            if (written != null && written != ch) {
                batch = finish(written, batch);
                written.flush();
            }
            written = ch;
            if (!Boolean.TRUE.equals(ch.attr(BATCHES).get()) || content.readableBytes() > ALONE) {
                batch = finish(ch, batch);
                ch.write(new BinaryWebSocketFrame(content), ch.voidPromise());
                continue;
            }
            if (batch != null && batch.readableBytes() + 2 + content.readableBytes() > Codec.MAX_BATCH) {
                batch = finish(ch, batch);
            }
            if (batch == null) {
                batch = ch.alloc().buffer(Math.min(Codec.MAX_BATCH, 1 + 2 + content.readableBytes() + 16 * 1024)).writeByte(Codec.BATCH);
            }
            batch.writeShort(content.readableBytes()).writeBytes(content);
            content.release();
        }
        if (written != null) {
            finish(written, batch);
            written.flush();
        }
    }

    /** Writes {@code batch} (if any) to {@code ch} as one message; null, for the caller's next batch. */
    private static ByteBuf finish(Channel ch, ByteBuf batch) {
        if (batch != null) {
            ch.write(new BinaryWebSocketFrame(batch), ch.voidPromise());
        }
        return null;
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
