package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.DefaultQuicStreamFrame;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.quiver.api.BiStream;
import org.quiver.api.QuiverException;
import org.quiver.api.RecvStream;
import org.quiver.api.SendStream;

/**
 * One QUIC stream (both halves; a unidirectional stream uses one). The stream channel does not read by
 * itself: data is pulled from quiche only when the application asks for it, so that QUIC flow control,
 * not an unbounded queue here, is what holds back a fast sender. Received data is copied out of pooled
 * buffers at once (the application never holds a Netty buffer). Once the application reads, the stream reads ahead of
 * it, up to {@link #READ_AHEAD} bytes, and a blocking reader ({@link #inputStream()}) takes everything read ahead in
 * one hand-off from the event loop instead of one per chunk.
 *
 * <p>State is touched only on the stream's event loop; application threads hand work to it.
 */
final class QuicStream extends ChannelInboundHandlerAdapter implements BiStream, SendStream, RecvStream {
    /** Largest chunk a blocking write hands to the transport at once. */
    private static final int WRITE_CHUNK = 64 * 1024;
    /**
     * Chunks a blocking writer may have in flight (queued, not yet taken by QUIC flow control): 1 MiB. Waiting
     * for each chunk before the next halves throughput; an unbounded queue would hold any amount of memory.
     */
    private static final int WRITES_IN_FLIGHT = 16;

    /**
     * Bytes read out of quiche ahead of the application, at most (past it the stream stops reading, and QUIC flow
     * control holds the sender back): the reader finds data waiting instead of asking the loop for each chunk.
     */
    static final int READ_AHEAD = 1024 * 1024;

    private final QuicStreamChannel channel;
    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>();
    /** Bytes in {@link #chunks}. */
    private int queued;
    /** The application has read: from now on the stream reads ahead. */
    private boolean readAhead;
    /** Inside {@link #readMore}: a read it causes does not start another. */
    private boolean readingMore;
    /** Bytes received so far: whether a read gave anything. */
    private long received;
    private CompletableFuture<Optional<ByteBuffer>> waiting;
    private boolean finished;
    private Throwable failure;

    QuicStream(QuicStreamChannel channel) {
        this.channel = channel;
    }

    @Override
    public long id() {
        return channel.streamId();
    }

    @Override
    public SendStream send() {
        return this;
    }

    @Override
    public RecvStream recv() {
        return this;
    }

    // ---- receive (event loop) ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            if (buf.isReadable()) {
                ByteBuffer copy = ByteBuffer.allocate(buf.readableBytes());
                buf.readBytes(copy);
                copy.flip();
                received += copy.remaining();
                if (waiting != null) {
                    CompletableFuture<Optional<ByteBuffer>> w = waiting;
                    waiting = null;
                    w.complete(Optional.of(copy));
                } else {
                    chunks.add(copy);
                    queued += copy.remaining();
                }
            }
        } finally {
            buf.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readMore();
    }

    /**
     * Loop: reads on while a reader waits or, once the application reads, while less than {@link #READ_AHEAD} is
     * queued. A read that gives nothing stays pending (the data it waits for arrives later). A read done here can
     * complete, inside the call, another read: that one leaves the decision to the loop here, so the stack stays flat.
     */
    private void readMore() {
        if (readingMore) {
            return;
        }
        readingMore = true;
        try {
            while (!finished && failure == null && (waiting != null || readAhead && queued < READ_AHEAD)) {
                long before = received;
                channel.read();
                if (received == before) {
                    return;
                }
            }
        } finally {
            readingMore = false;
        }
    }

    /** Loop: the next queued chunk. */
    private ByteBuffer poll() {
        ByteBuffer b = chunks.poll();
        queued -= b.remaining();
        return b;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownReadComplete) {
            finished = true;
            completeWaiting();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (channel.isInputShutdown() && failure == null) {
            finished = true; // the FIN came with the stream's end; the shutdown event may not have been fired
        }
        if (!finished && failure == null) {
            failure = new QuiverException("stream " + id() + " closed before its end (connection closed or stream reset)");
        }
        completeWaiting();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        completeWaiting();
    }

    private void completeWaiting() {
        if (waiting == null) {
            return;
        }
        CompletableFuture<Optional<ByteBuffer>> w = waiting;
        waiting = null;
        if (finished) {
            w.complete(Optional.empty());
        } else {
            w.completeExceptionally(Futures.failure("read on stream " + id(), failure));
        }
    }

    @Override
    public CompletionStage<Optional<ByteBuffer>> read() {
        CompletableFuture<Optional<ByteBuffer>> f = new CompletableFuture<>();
        channel.eventLoop().execute(() -> readOnLoop(f));
        return f;
    }

    /** Loop: completes {@code f} with the next chunk, at once or when it comes. */
    private void readOnLoop(CompletableFuture<Optional<ByteBuffer>> f) {
        readAhead = true;
        if (!chunks.isEmpty()) {
            f.complete(Optional.of(poll()));
            readMore();
        } else if (finished) {
            f.complete(Optional.empty());
        } else if (failure != null) {
            f.completeExceptionally(Futures.failure("read on stream " + id(), failure));
        } else if (waiting != null) {
            f.completeExceptionally(new IllegalStateException("a read is already pending on stream " + id()));
        } else {
            waiting = f;
            readMore();
        }
    }

    /**
     * Everything read so far, in one hand-off (empty: the stream's end); completes when there is at least one chunk.
     * A blocking reader takes the chunks read ahead at once instead of asking the loop for each.
     */
    private CompletableFuture<ArrayDeque<ByteBuffer>> readAll() {
        CompletableFuture<ArrayDeque<ByteBuffer>> f = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            if (chunks.isEmpty()) {
                CompletableFuture<Optional<ByteBuffer>> one = new CompletableFuture<>();
                readOnLoop(one);
                one.whenComplete((chunk, e) -> { // completed on the loop, at once or when the chunk comes
                    if (e != null) {
                        f.completeExceptionally(e);
                    } else {
                        ArrayDeque<ByteBuffer> got = new ArrayDeque<>(1);
                        chunk.ifPresent(got::add);
                        f.complete(got);
                    }
                });
                return;
            }
            readAhead = true;
            ArrayDeque<ByteBuffer> all = new ArrayDeque<>(chunks);
            chunks.clear();
            queued = 0;
            f.complete(all);
            readMore();
        });
        return f;
    }

    @Override
    public void stop(long errorCode) {
        channel.shutdownInput((int) errorCode);
    }

    @Override
    public InputStream inputStream() {
        return new InputStream() {
            private ByteBuffer current = ByteBuffer.allocate(0);
            private ArrayDeque<ByteBuffer> next = new ArrayDeque<>();
            private boolean end;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (!current.hasRemaining()) {
                    if (!next.isEmpty()) {
                        current = next.poll();
                        continue;
                    }
                    if (end) {
                        return -1;
                    }
                    next = await(readAll());
                    end = next.isEmpty();
                }
                int n = Math.min(len, current.remaining());
                current.get(b, off, n);
                return n;
            }
        };
    }

    // ---- send (any thread) ----

    @Override
    public CompletionStage<Void> write(ByteBuffer data) {
        ByteBuf buf = channel.alloc().directBuffer(data.remaining());
        buf.writeBytes(data);
        return Futures.adapt(channel.writeAndFlush(buf), "write on stream " + id());
    }

    @Override
    public CompletionStage<Void> finish() {
        // a FIN frame through the pipeline: queued behind the data, unlike shutdownOutput()
        return Futures.adapt(channel.writeAndFlush(new DefaultQuicStreamFrame(Unpooled.EMPTY_BUFFER, true)),
                "finish stream " + id());
    }

    @Override
    public void reset(long errorCode) {
        channel.shutdownOutput((int) errorCode);
    }

    @Override
    public OutputStream outputStream() {
        return new OutputStream() {
            private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int n = Math.min(len, WRITE_CHUNK);
                    inFlight.add(QuicStream.this.write(ByteBuffer.wrap(b, off, n)).toCompletableFuture());
                    while (inFlight.size() > WRITES_IN_FLIGHT) {
                        await(inFlight.poll());
                    }
                    off += n;
                    len -= n;
                }
            }

            /** Waits until everything written so far was taken by the transport. */
            @Override
            public void flush() throws IOException {
                while (!inFlight.isEmpty()) {
                    await(inFlight.poll());
                }
            }

            @Override
            public void close() throws IOException {
                flush();
                await(finish().toCompletableFuture());
            }
        };
    }

    private static <T> T await(CompletableFuture<T> f) throws IOException {
        org.quiver.api.Blocking.checkMayBlock("A stream's blocking read or write");
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException ? (IOException) c : new IOException(c);
        }
    }
}
