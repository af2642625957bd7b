package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.BiStream;
import org.quiver.api.CloseInfo;
import org.quiver.api.Connection;
import org.quiver.api.EndpointId;
import org.quiver.api.PathInfo;
import org.quiver.api.PathKind;
import org.quiver.api.QuiverException;
import org.quiver.api.RecvStream;
import org.quiver.api.SendStream;
import org.quiver.api.Watchable;
import org.quiver.api.WatchableValue;

/**
 * A live QUIC connection to one authenticated peer. Also the handler on its {@link QuicChannel}: it
 * queues incoming streams and datagrams (bounded) until the application accepts them, and records how the
 * connection ended. Queues are touched on the connection's event loop only.
 */
final class QuicConnectionImpl extends ChannelInboundHandlerAdapter implements Connection {
    static final AttributeKey<QuicConnectionImpl> KEY = AttributeKey.valueOf("quiver.connection");
    /** Streams the peer opened and the application has not accepted yet; more are refused (reset). */
    static final int MAX_PENDING_STREAMS = 256;
    /** Datagrams not yet received by the application; the oldest is dropped (and counted) beyond this. */
    static final int MAX_PENDING_DATAGRAMS = 1024;
    static final long RTT_SAMPLE_MS = 1000;

    private final QuicChannel channel;
    private final PathTable.Peer peer;
    private final EndpointId remoteId;
    private final boolean dialer;
    private final String alpn;
    private final WatchableValue<PathInfo> path;
    private final WatchableValue<Duration> rtt = new WatchableValue<>("rtt", Duration.ZERO);
    private final CompletableFuture<CloseInfo> closed = new CompletableFuture<>();
    private final ArrayDeque<QuicStream> pendingBi = new ArrayDeque<>();
    private final ArrayDeque<QuicStream> pendingUni = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<BiStream>> acceptingBi = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<RecvStream>> acceptingUni = new ArrayDeque<>();
    private final ArrayDeque<byte[]> datagrams = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<byte[]>> receivingDatagrams = new ArrayDeque<>();
    private final LongAdder dropped;
    private volatile CloseInfo closeInfo;
    /** The handshake's key exchange, as seen when the handshake was done ({@link KeyExchanges}). */
    private volatile String keyExchange = KeyExchanges.UNKNOWN;
    private volatile boolean resumed;
    /** Whether it went to work in 0-RTT, before its handshake completed. */
    private volatile boolean early;
    /** A dial whose TLS allowed 0-RTT (its ALPN is replay-safe here). */
    private volatile boolean earlyCapable;
    /**
     * Whether the handshake is confirmed (accepted connections: at once; dialed ones: at the server's first
     * short-header packet, see {@link Unconfirmed}). Event loop only.
     */
    private boolean confirmed;
    /** An application close asked for before confirmation, done at confirmation (or at the deadline). Event loop only. */
    private Runnable deferredClose;
    /**
     * How long a dialed connection waits for confirmation before a close goes out anyway, as a transport close
     * with APPLICATION_ERROR (RFC 9000 10.2.3: what an application close during the handshake becomes).
     */
    static final long CONFIRM_WAIT_MS = 1000;
    static final int APPLICATION_ERROR = 0x0c;

    QuicConnectionImpl(QuicChannel channel, PathTable.Peer peer, EndpointId remoteId, boolean dialer, PathInfo initialPath,
            LongAdder dropped) {
        this(channel, peer, remoteId, channel.sslEngine() != null && channel.sslEngine().getApplicationProtocol() != null
                ? channel.sslEngine().getApplicationProtocol() : "", dialer, initialPath, dropped);
    }

    /** A connection whose ALPN is known before TLS says it (0-RTT: the one dialed, or the one the ticket names). */
    QuicConnectionImpl(QuicChannel channel, PathTable.Peer peer, EndpointId remoteId, String alpn, boolean dialer, PathInfo initialPath,
            LongAdder dropped) {
        this.channel = channel;
        this.peer = peer;
        this.remoteId = remoteId;
        this.dialer = dialer;
        this.alpn = alpn;
        this.path = new WatchableValue<>("path", initialPath);
        this.dropped = dropped;
        this.confirmed = !dialer;
        channel.attr(KEY).set(this);
        // RTT as QUIC measures it, sampled every second (and at once) while the connection lives
        io.netty.util.concurrent.ScheduledFuture<?> sampler =
                channel.eventLoop().scheduleAtFixedRate(this::sampleRtt, 0, RTT_SAMPLE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> sampler.cancel(false));
        channel.closeFuture().addListener(f -> onClosed());
        // streams the peer opened before this object existed (same event loop: constructed there)
        java.util.ArrayDeque<QuicStreamChannel> early = channel.attr(Acceptor.EARLY_STREAMS).getAndSet(null);
        if (early != null) {
            early.forEach(this::incoming);
        }
    }

    QuicChannel channel() {
        return channel;
    }

    /** The peer entry (mapped address, real path) this connection's packets use; null if unknown. */
    PathTable.Peer peer() {
        return peer;
    }

    WatchableValue<PathInfo> pathValue() {
        return path;
    }

    @Override
    public EndpointId remoteId() {
        return remoteId;
    }

    @Override
    public String alpn() {
        return alpn;
    }

    @Override
    public String keyExchange() {
        return keyExchange;
    }

    void keyExchange(String group, boolean resumed) {
        this.keyExchange = group;
        this.resumed = resumed;
    }

    /** Whether this connection's handshake resumed an earlier session (seen in its ServerHello). */
    @Override
    public boolean resumed() {
        return resumed;
    }

    @Override
    public boolean earlyData() {
        return early;
    }

    /** It goes to work in 0-RTT (before its handshake completed, which a 0-RTT connection does by resuming). */
    void early() {
        this.early = true;
        this.resumed = true;
    }

    @Override
    public boolean isDialer() {
        return dialer;
    }

    @Override
    public CompletionStage<BiStream> openBi() {
        return open(QuicStreamType.BIDIRECTIONAL).thenApply(s -> s);
    }

    @Override
    public CompletionStage<SendStream> openUni() {
        return open(QuicStreamType.UNIDIRECTIONAL).thenApply(s -> s);
    }

    private CompletableFuture<QuicStream> open(QuicStreamType type) {
        CompletableFuture<QuicStream> result = new CompletableFuture<>();
        channel.newStreamBootstrap()
                .type(type)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new io.netty.channel.ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel ch) {
                        ch.pipeline().addLast(new QuicStream(ch));
                    }
                })
                .create()
                .addListener(f -> {
                    if (f.isSuccess()) {
                        QuicStreamChannel ch = (QuicStreamChannel) f.getNow();
                        result.complete(ch.pipeline().get(QuicStream.class));
                    } else {
                        result.completeExceptionally(Futures.failure("open a stream to " + remoteId.shortString(), f.cause()));
                    }
                });
        return result;
    }

    /** A stream the peer opened (event loop). */
    void incoming(QuicStreamChannel ch) {
        ch.config().setAutoRead(false);
        QuicStream stream = new QuicStream(ch);
        ch.pipeline().addLast(stream);
        boolean taken = ch.type() == QuicStreamType.BIDIRECTIONAL ? offer(stream, pendingBi, acceptingBi) : offer(stream, pendingUni, acceptingUni);
        if (!taken) {
            dropped.increment();
            ch.shutdown(1); // refused: the application is not accepting
        }
    }

    /** Hands {@code stream} to a waiting acceptor, or queues it (bounded); false when the queue is full. */
    private static <T> boolean offer(QuicStream stream, ArrayDeque<QuicStream> pending, ArrayDeque<CompletableFuture<T>> waiting) {
        @SuppressWarnings("unchecked") // T is BiStream or RecvStream, both implemented by QuicStream
        CompletableFuture<Object> waiter = (CompletableFuture<Object>) (CompletableFuture<?>) waiting.poll();
        if (waiter != null) {
            waiter.complete(stream);
            return true;
        }
        if (pending.size() < MAX_PENDING_STREAMS) {
            pending.add(stream);
            return true;
        }
        return false;
    }

    @Override
    public CompletionStage<BiStream> acceptBi() {
        return accept(pendingBi, acceptingBi);
    }

    @Override
    public CompletionStage<RecvStream> acceptUni() {
        return accept(pendingUni, acceptingUni);
    }

    /** The next queued stream, or a future for the next one to arrive (on the event loop). */
    private <T> CompletionStage<T> accept(ArrayDeque<QuicStream> pending, ArrayDeque<CompletableFuture<T>> waiting) {
        CompletableFuture<T> f = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            QuicStream s = pending.poll();
            if (s != null) {
                @SuppressWarnings("unchecked") // T is BiStream or RecvStream, both implemented by QuicStream
                T t = (T) s;
                f.complete(t);
            } else if (closeInfo != null) {
                f.completeExceptionally(closedException());
            } else {
                waiting.add(f);
            }
        });
        return f;
    }

    @Override
    public CompletionStage<Void> sendDatagram(byte[] data) {
        int max = maxDatagramSize();
        if (data.length > max) {
            return java.util.concurrent.CompletableFuture.failedFuture(new QuiverException(
                    "a datagram to " + remoteId.shortString() + " is at most " + max + " bytes, got " + data.length));
        }
        return Futures.adapt(channel.writeAndFlush(Unpooled.copiedBuffer(data)), "send a datagram to " + remoteId.shortString());
    }

    @Override
    public CompletionStage<byte[]> receiveDatagram() {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            byte[] d = datagrams.poll();
            if (d != null) {
                f.complete(d);
            } else if (closeInfo != null) {
                f.completeExceptionally(closedException());
            } else {
                receivingDatagrams.add(f);
            }
        });
        return f;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // on a QuicChannel, a ByteBuf is a DATAGRAM frame
        if (msg instanceof ByteBuf) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] data = new byte[buf.readableBytes()];
                buf.readBytes(data);
                CompletableFuture<byte[]> waiter = receivingDatagrams.poll();
                if (waiter != null) {
                    waiter.complete(data);
                } else {
                    if (datagrams.size() >= MAX_PENDING_DATAGRAMS) {
                        datagrams.poll();
                        dropped.increment();
                    }
                    datagrams.add(data);
                }
            } finally {
                buf.release();
            }
        } else {
            ctx.fireChannelRead(msg); // a new stream channel: the codec's acceptor further down registers it
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof QuicConnectionCloseEvent) {
            QuicConnectionCloseEvent e = (QuicConnectionCloseEvent) evt;
            String reason;
            try {
                reason = new String(e.reason(), StandardCharsets.UTF_8);
            } catch (NullPointerException noReason) { // netty 4.2.18: reason() clones a null array
                reason = "";
            }
            if (closeInfo == null) {
                closeInfo = new CloseInfo(e.isApplicationClose() ? CloseInfo.Cause.PEER : CloseInfo.Cause.TRANSPORT, e.error(), reason);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Event loop: reads quiche's smoothed RTT of the active path into {@link #rtt()} and {@link #path()}. */
    private void sampleRtt() {
        if (!channel.isActive()) {
            return;
        }
        channel.collectPathStats(0).addListener(f -> {
            if (!f.isSuccess() || rtt.isClosed()) {
                return;
            }
            long nanos = ((io.netty.handler.codec.quic.QuicConnectionPathStats) f.getNow()).rtt();
            if (nanos > 0) {
                Duration d = Duration.ofNanos(nanos);
                rtt.set(d);
                path.update(p -> new PathInfo(p.kind(), p.remote(), Optional.of(d)));
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a TLS or transport failure: the connection closes and closed() says why; nothing to log here
    }

    /**
     * What fits one packet: the smaller of our and the peer's UDP payload limits, less the short header (1 +
     * 16-byte id + up to 4-byte packet number), the AEAD tag (16) and the DATAGRAM frame header (type + length),
     * and at most the peer's max_datagram_frame_size (RFC 9221). Netty 4.2.18 reports that parameter as 0 even
     * when the peer sent it, so 0 counts as unknown; a peer without datagram support makes the send fail.
     */
    @Override
    public int maxDatagramSize() {
        io.netty.handler.codec.quic.QuicTransportParameters p = channel.peerTransportParameters();
        if (p == null) {
            return 0; // not connected
        }
        long udp = Math.min(QuicEndpoint.MAX_UDP_PAYLOAD, p.maxUdpPayloadSize());
        long room = udp - (1 + ConnectionIds.LENGTH + 4) - 16 - 3;
        long frame = p.maxDatagramFrameSize() > 0 ? p.maxDatagramFrameSize() - 3 : room;
        return (int) Math.max(0, Math.min(room, frame));
    }

    @Override
    public Watchable<PathInfo> path() {
        return path;
    }

    @Override
    public Watchable<Duration> rtt() {
        return rtt;
    }

    @Override
    public void close(long code, String reason) {
        close(CloseInfo.Cause.LOCAL, code, reason);
    }

    void close(CloseInfo.Cause cause, long code, String reason) {
        if (closeInfo == null) {
            closeInfo = new CloseInfo(cause, code, reason);
        }
        try {
            if (channel.eventLoop().inEventLoop()) {
                closeOnLoop(code, reason);
            } else {
                channel.eventLoop().execute(() -> closeOnLoop(code, reason));
            }
        } catch (java.util.concurrent.RejectedExecutionException endpointGone) {
            // the endpoint's loop has stopped: the connection went with it (a handler closing late, say)
        }
    }

    /** Event loop: closes now when confirmed; otherwise at confirmation, or as a transport close after {@link #CONFIRM_WAIT_MS}. */
    private void closeOnLoop(long code, String reason) {
        if (confirmed) {
            closeNow(code, reason);
            return;
        }
        if (deferredClose != null || !channel.isOpen()) {
            return; // the first close decides
        }
        deferredClose = () -> closeNow(code, reason);
        channel.eventLoop().schedule(() -> {
            if (!confirmed && channel.isOpen()) {
                channel.close(false, APPLICATION_ERROR, Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
            }
        }, CONFIRM_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Event loop: closes the channel with the application's code, or, on a dial whose TLS allowed 0-RTT, as a transport
     * close (APPLICATION_ERROR for a non-zero code; the reason kept): netty 4.2.18 with quiche spun forever sending on
     * an application close of such a connection ({@code ChurnTest}'s 0-RTT cycles wedged the endpoint).
     */
    private void closeNow(long code, String reason) {
        if (earlyCapable) {
            channel.close(false, code == 0 ? 0 : APPLICATION_ERROR, Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
        } else {
            channel.close(true, (int) code, Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
        }
    }

    /** A dial whose TLS allowed 0-RTT: it closes as a transport close (see {@link #closeNow}). */
    void earlyCapable() {
        this.earlyCapable = true;
    }

    /** Event loop: the server confirmed the handshake; a close asked for before goes out now. */
    void confirmed() {
        confirmed = true;
        Runnable close = deferredClose;
        deferredClose = null;
        if (close != null && channel.isOpen()) {
            close.run();
        }
    }

    @Override
    public CompletionStage<CloseInfo> closed() {
        return closed;
    }

    private void onClosed() {
        if (closeInfo == null) {
            closeInfo = new CloseInfo(CloseInfo.Cause.IDLE_TIMEOUT, 0, "no packets within the idle timeout");
        }
        QuiverException e = closedException();
        acceptingBi.forEach(f -> f.completeExceptionally(e));
        acceptingUni.forEach(f -> f.completeExceptionally(e));
        receivingDatagrams.forEach(f -> f.completeExceptionally(e));
        acceptingBi.clear();
        acceptingUni.clear();
        receivingDatagrams.clear();
        datagrams.clear();
        path.close();
        rtt.close();
        closed.complete(closeInfo);
    }

    private QuiverException closedException() {
        CloseInfo c = closeInfo;
        return new QuiverException("connection to " + remoteId.shortString() + " closed (" + c.cause() + ", code " + c.code()
                + (c.reason().isEmpty() ? "" : ", " + c.reason()) + ")");
    }

    @Override
    public String toString() {
        return "Connection{" + remoteId.shortString() + ", " + alpn + ", " + (dialer ? "dialed" : "accepted") + ", " + path.get() + "}";
    }

    static PathInfo direct(java.net.InetSocketAddress real) {
        return new PathInfo(PathKind.DIRECT, AddressText.text(real), Optional.empty());
    }

    /** The path {@code real} of {@code peer}: a socket address, or its relay path. */
    static PathInfo info(PathAddr real, PathTable.Peer peer) {
        if (real instanceof PathAddr.Direct d) {
            return direct(d.socket());
        }
        return new PathInfo(PathKind.RELAY, peer == null ? "relay" : peer.relayLabel(), Optional.empty());
    }
}
