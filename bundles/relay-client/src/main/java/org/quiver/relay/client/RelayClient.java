package org.quiver.relay.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.quiver.api.EndpointId;
import org.quiver.api.Watchable;
import org.quiver.api.WatchableValue;
import org.quiver.relay.protocol.Codec;
import org.quiver.relay.protocol.MalformedFrameException;
import org.quiver.relay.protocol.RelayFrame;

/**
 * One authenticated connection to one relay server ({@code ws://host:port/relay}), kept up by itself: it
 * connects, answers the server's challenge with a signature, and after a drop, a refusal or a server restart
 * connects again with exponential backoff (or when the server's {@code Restarting} frame says). It pings the
 * server to measure latency and to notice a dead connection.
 *
 * <p>Everything runs on one event loop of the group it is given (which its owner stops); {@link #send} may
 * be called from any thread, never blocks, and drops (counted) what the connection cannot take now: the
 * relay carries QUIC, which recovers losses.
 */
public final class RelayClient implements AutoCloseable {
    /** Where the connection stands. */
    public enum State { CONNECTING, CONNECTED, BACKOFF, CLOSED }

    /** Gets what arrives through the relay (on the client's event loop; must not block). */
    public interface Receiver {
        void datagram(RelayClient from, EndpointId source, byte[] datagram);

        /**
         * A burst of datagrams from {@code source} in one array: datagrams of {@code segmentSize} bytes each, the last
         * perhaps shorter. By default each is handed to {@link #datagram} on its own.
         */
        default void datagrams(RelayClient from, EndpointId source, byte[] datagrams, int segmentSize) {
            for (int at = 0; at < datagrams.length; at += segmentSize) {
                datagram(from, source, java.util.Arrays.copyOfRange(datagrams, at, Math.min(datagrams.length, at + segmentSize)));
            }
        }

        /** The relay says {@code id} is not connected to it. */
        default void gone(RelayClient from, EndpointId id) {
        }

        /** The state or latency changed. */
        default void changed(RelayClient client) {
        }
    }

    /**
     * Timings and limits.
     *
     * @param pingInterval    how often the server is pinged (latency, liveness)
     * @param minBackoff      first reconnect delay; doubled after each failure
     * @param maxBackoff      the longest reconnect delay
     * @param connectTimeout  TCP connect plus WebSocket handshake plus authentication, at most
     * @param writeBufferHigh bytes queued for the socket beyond which {@link #send} drops
     * @param trust           PEM certificates trusted for {@code wss://} relays besides the JDK's CAs (a self-signed
     *                        relay's own certificate, a private CA)
     */
    public record Options(Duration pingInterval, Duration minBackoff, Duration maxBackoff, Duration connectTimeout, int writeBufferHigh,
                          java.util.List<java.nio.file.Path> trust) {
        public static final Options DEFAULT = new Options(Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(10),
                Duration.ofSeconds(10), 2 << 20);

        /** Options that trust the JDK's CAs only. */
        public Options(Duration pingInterval, Duration minBackoff, Duration maxBackoff, Duration connectTimeout, int writeBufferHigh) {
            this(pingInterval, minBackoff, maxBackoff, connectTimeout, writeBufferHigh, java.util.List.of());
        }

        /** These options, trusting {@code certificates} too. */
        public Options withTrust(java.util.List<java.nio.file.Path> certificates) {
            return new Options(pingInterval, minBackoff, maxBackoff, connectTimeout, writeBufferHigh, certificates);
        }

        public Options {
            trust = java.util.List.copyOf(trust);
            if (pingInterval.isNegative() || pingInterval.isZero() || minBackoff.isNegative() || minBackoff.isZero()
                    || maxBackoff.compareTo(minBackoff) < 0 || connectTimeout.isNegative() || connectTimeout.isZero()
                    || writeBufferHigh < 65_536) {
                throw new IllegalArgumentException("bad relay client options: " + pingInterval + ", " + minBackoff + ".." + maxBackoff
                        + ", " + connectTimeout + ", " + writeBufferHigh + " (durations positive, maxBackoff >= minBackoff, buffer >= 64 KiB)");
            }
        }
    }

    private final URI url;
    private final EndpointId id;
    private final UnaryOperator<byte[]> signer;
    private final Receiver receiver;
    private final EventLoop loop;
    private final Options options;
    private final SecureRandom random = new SecureRandom();
    private final WatchableValue<State> state = new WatchableValue<>("relay connection state", State.CONNECTING);
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder connects = new LongAdder();
    private final LongAdder failures = new LongAdder();
    /** Datagram frames handed to {@link #send}, written on the loop in batches. */
    private final OutgoingBatch batch;
    // event loop only
    private Channel channel;
    private long backoffNanos;
    private long nextDelayNanos = -1;
    private long pingPayload;
    private long pingSentNanos;
    private ScheduledFuture<?> timer;
    // read from other threads
    private volatile Channel authenticated;
    private volatile long latencyNanos = -1;
    private volatile String lastProblem = "";

    /**
     * A client of the relay at {@code url} that authenticates as {@code id}, signing with {@code signer} (which
     * gets the message {@link RelayFrame.ClientAuth#signedMessage(byte[], String)} and returns the 64-byte Ed25519 signature).
     * Call {@link #start()} to connect.
     */
    public RelayClient(URI url, EndpointId id, UnaryOperator<byte[]> signer, Receiver receiver, EventLoop loop, Options options) {
        this.url = checkUrl(url);
        this.id = Objects.requireNonNull(id, "id");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.receiver = Objects.requireNonNull(receiver, "receiver");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.batch = new OutgoingBatch(loop, options.writeBufferHigh(), dropped);
        this.options = Objects.requireNonNull(options, "options");
        this.backoffNanos = options.minBackoff().toNanos();
    }

    /** A relay URL this client can use: {@code ws://host[:port]/path} or {@code wss://host[:port]/path}. */
    public static URI checkUrl(URI url) {
        Objects.requireNonNull(url, "url");
        if (!("ws".equalsIgnoreCase(url.getScheme()) || "wss".equalsIgnoreCase(url.getScheme())) || url.getHost() == null) {
            throw new IllegalArgumentException("A relay URL is ws://host[:port]/relay or wss://host[:port]/relay, got " + url);
        }
        return url;
    }

    public Options options() {
        return options;
    }

    private io.netty.handler.ssl.SslContext tls;

    /** TLS for wss:// relays: the JDK's CAs and {@code trust}, with the host name checked against the certificate. */
    static io.netty.handler.ssl.SslContext clientTls(java.util.List<java.nio.file.Path> trust) throws java.io.IOException {
        io.netty.handler.ssl.SslContextBuilder b = io.netty.handler.ssl.SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
        try {
            if (!trust.isEmpty()) {
                java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
                ks.load(null, null);
                javax.net.ssl.TrustManagerFactory jdk = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                jdk.init((java.security.KeyStore) null);
                int n = 0;
                for (javax.net.ssl.TrustManager tm : jdk.getTrustManagers()) {
                    if (tm instanceof javax.net.ssl.X509TrustManager x) {
                        for (java.security.cert.X509Certificate c : x.getAcceptedIssuers()) {
                            ks.setCertificateEntry("jdk-" + n++, c);
                        }
                    }
                }
                java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
                for (java.nio.file.Path p : trust) {
                    try (java.io.InputStream in = java.nio.file.Files.newInputStream(p)) {
                        java.util.Collection<? extends java.security.cert.Certificate> certs = cf.generateCertificates(in);
                        if (certs.isEmpty()) {
                            throw new java.io.IOException("no certificate in " + p);
                        }
                        for (java.security.cert.Certificate c : certs) {
                            ks.setCertificateEntry("trusted-" + n++, c);
                        }
                    }
                }
                javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                b.trustManager(tmf);
            }
            return b.build();
        } catch (java.security.GeneralSecurityException e) {
            throw new java.io.IOException("cannot set up TLS with " + trust + ": " + e.getMessage(), e);
        }
    }

    /** Connects (and keeps connecting). */
    public RelayClient start() {
        loop.execute(this::connect);
        return this;
    }

    public URI url() {
        return url;
    }

    public Watchable<State> state() {
        return state;
    }

    /** The last measured round trip to the server, if one was measured since connecting. */
    public Optional<Duration> latency() {
        long l = latencyNanos;
        return l < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(l));
    }

    /** Why the last connection ended or was refused; empty if none did. */
    public String lastProblem() {
        return lastProblem;
    }

    /** Datagrams sent, received, dropped (not connected, socket full); connections made; attempts that failed. */
    public long[] counts() {
        return new long[] {sent.sum(), received.sum(), dropped.sum(), connects.sum(), failures.sum()};
    }

    /**
     * Sends {@code datagram} (1 to 65,535 bytes) to {@code destination} through this relay. Never blocks;
     * false (and counted) when it was dropped: not connected, the socket is full, or a write buffer's worth of
     * frames already waits for the client's loop to write them (it writes what waits in one batch, one flush).
     */
    public boolean send(EndpointId destination, byte[] datagram) {
        return send(destination, ByteBuffer.wrap(datagram));
    }

    /**
     * As {@link #send(EndpointId, byte[])}, framing the remaining bytes of {@code datagram} straight into the
     * WebSocket message (the datagram's one copy); {@code datagram} is read during the call only and left as it was.
     */
    public boolean send(EndpointId destination, ByteBuffer datagram) {
        Channel ch = authenticated;
        if (ch == null || !ch.isWritable()) {
            dropped.increment();
            return false;
        }
        int length = Codec.datagramFrameLength(datagram.remaining());
        io.netty.buffer.ByteBuf frame = ch.alloc().directBuffer(length); // pooled: no zeroing, no garbage per datagram
        try {
            Codec.encodeDatagram(destination, datagram, frame.nioBuffer(0, length));
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        frame.writerIndex(length);
        if (!batch.add(ch, frame)) { // written with the rest of its burst, one flush for all
            dropped.increment();
            return false;
        }
        sent.increment();
        return true;
    }

    /**
     * Sends a burst of datagrams to {@code destination}: the remaining bytes of {@code datagrams} are datagrams of
     * {@code segmentSize} bytes each, the last perhaps shorter. To a relay that takes segmented frames the burst goes
     * as one frame (or as few as hold it: at most {@link RelayFrame#MAX_SEGMENTS} datagrams and {@link
     * RelayFrame#MAX_SEGMENTED} bytes each), otherwise datagram by datagram. Read during the call only. True when
     * every datagram was sent; what was dropped is counted, a datagram apiece.
     */
    public boolean send(EndpointId destination, ByteBuffer datagrams, int segmentSize) {
        if (segmentSize < 1) {
            throw new IllegalArgumentException("segment size " + segmentSize);
        }
        int end = datagrams.limit();
        if (!segments || segmentSize > RelayFrame.MAX_SEGMENTED || end - datagrams.position() <= segmentSize) {
            boolean all = true;
            for (int at = datagrams.position(); at < end; at += segmentSize) {
                all &= send(destination, datagrams.slice(at, Math.min(segmentSize, end - at)));
            }
            return all;
        }
        int perFrame = Math.min(RelayFrame.MAX_SEGMENTS, RelayFrame.MAX_SEGMENTED / segmentSize) * segmentSize;
        boolean all = true;
        for (int at = datagrams.position(); at < end; at += perFrame) {
            all &= sendFrame(destination, datagrams.slice(at, Math.min(perFrame, end - at)), segmentSize);
        }
        return all;
    }

    /** One segmented frame of the whole of {@code burst}. */
    private boolean sendFrame(EndpointId destination, ByteBuffer burst, int segmentSize) {
        int count = (burst.remaining() + segmentSize - 1) / segmentSize;
        Channel ch = authenticated;
        if (ch == null || !ch.isWritable()) {
            dropped.add(count);
            return false;
        }
        int length = Codec.datagramsFrameLength(burst.remaining(), segmentSize);
        io.netty.buffer.ByteBuf frame = ch.alloc().directBuffer(length);
        try {
            Codec.encodeDatagrams(destination, burst, segmentSize, frame.nioBuffer(0, length));
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        frame.writerIndex(length);
        if (!batch.add(ch, frame)) {
            dropped.add(count);
            return false;
        }
        sent.add(count);
        return true;
    }

    /** The shortest wait for the pong {@link #recheck} asks for. */
    static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

    /**
     * The network under this client may have changed: the relay is pinged now and, unless the pong comes within
     * 300 ms (or four latencies, if longer), the connection is dropped and made again. (A connection bound to an
     * address the host no longer has is otherwise found dead only after three ping intervals.) Any thread; nothing
     * when not connected: a connection attempt under way goes on.
     */
    public void recheck() {
        try {
            loop.execute(() -> {
                Channel ch = authenticated;
                if (ch == null || channel != ch || closed()) {
                    return;
                }
                long sent = System.nanoTime();
                pingPayload = random.nextLong();
                pingSentNanos = sent;
                ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Codec.encode(new RelayFrame.Ping(pingPayload)))), ch.voidPromise());
                long latency = latencyNanos;
                long wait = Math.max(RECHECK_NANOS, 4 * latency);
                loop.schedule(() -> {
                    if (channel == ch && pingSentNanos == sent) { // that ping was not answered
                        lastProblem = "no pong within " + TimeUnit.NANOSECONDS.toMillis(wait) + " ms after a change of network";
                        ch.close(); // the close makes a new connection, after the shortest backoff
                    }
                }, wait, TimeUnit.NANOSECONDS);
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // the loop is gone, and the connection with it
        }
    }

    /** Disconnects for good; never blocks (the connection is closed on the client's loop). Idempotent. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        authenticated = null; // nothing is sent from now on
        state.set(State.CLOSED);
        try {
            loop.execute(() -> {
                cancelTimer();
                batch.clear();
                if (channel != null) {
                    channel.close();
                    channel = null;
                }
                receiver.changed(this);
                state.close();
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            state.close(); // the loop is gone, and the connection with it
        }
    }

    private volatile boolean closing;
    /** The relay said it takes segmented datagram frames (set at each login on the client's loop, read by senders). */
    private volatile boolean segments;

    private boolean closed() {
        return closing;
    }

    private void connect() {
        if (closed()) {
            return;
        }
        state.set(State.CONNECTING);
        receiver.changed(this);
        boolean secure = "wss".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : secure ? 443 : 80;
        if (secure && tls == null) {
            try {
                tls = clientTls(options.trust());
            } catch (java.io.IOException e) {
                failed("TLS: " + e.getMessage());
                return;
            }
        }
        io.netty.handler.ssl.SslContext ssl = secure ? tls : null;
        Handler handler = new Handler();
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder().webSocketUri(url).version(WebSocketVersion.V13)
                .customHeaders(new DefaultHttpHeaders().set(Codec.BATCH_HEADER, "1").set(Codec.SEGMENTS_HEADER, "1")).maxFramePayloadLength(RelayFrame.MAX_FRAME)
                .handshakeTimeoutMillis(options.connectTimeout().toMillis()).build();
        Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(options.writeBufferHigh() / 2, options.writeBufferHigh()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), url.getHost(), port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                                new WebSocketClientProtocolHandler(FrameMasks.handshaker(url, ws.customHeaders(), RelayFrame.MAX_FRAME,
                                        ws.handshakeTimeoutMillis()), ws), handler);
                    }
                });
        io.netty.channel.ChannelFuture connecting = b.connect(url.getHost(), port);
        Channel ch = connecting.channel();
        channel = ch;
        // the whole login must finish in time, or this attempt is given up
        cancelTimer();
        timer = loop.schedule(() -> {
            if (channel == ch && authenticated == null) {
                lastProblem = "no authenticated connection within " + options.connectTimeout().toMillis() + " ms";
                ch.close();
            }
        }, options.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        connecting.addListener(f -> {
            if (!f.isSuccess() && channel == ch) {
                failed("cannot connect: " + f.cause().getMessage());
            }
        });
    }

    /** A connection attempt or a connection ended (event loop): try again after the backoff. */
    private void failed(String why) {
        lastProblem = why;
        authenticated = null;
        latencyNanos = -1;
        cancelTimer();
        channel = null;
        if (closed()) {
            return;
        }
        failures.increment();
        long delay;
        if (nextDelayNanos >= 0) {
            delay = nextDelayNanos; // the server told us when it will be back
            nextDelayNanos = -1;
        } else {
            // full jitter over [backoff/2, backoff], so that a relay's clients do not all come back at once
            delay = backoffNanos / 2 + (long) (random.nextDouble() * (backoffNanos / 2));
            backoffNanos = Math.min(options.maxBackoff().toNanos(), backoffNanos * 2);
        }
        state.set(State.BACKOFF);
        receiver.changed(this);
        timer = loop.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void ping() {
        Channel ch = authenticated;
        if (ch == null || channel != ch) {
            return;
        }
        long now = System.nanoTime();
        if (pingSentNanos != 0 && now - pingSentNanos > 3 * options.pingInterval().toNanos()) {
            lastProblem = "no pong for " + TimeUnit.NANOSECONDS.toMillis(now - pingSentNanos) + " ms";
            ch.close(); // a dead connection: reconnect
            return;
        }
        if (pingSentNanos == 0) {
            pingPayload = random.nextLong();
            pingSentNanos = now;
            ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Codec.encode(new RelayFrame.Ping(pingPayload)))), ch.voidPromise());
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {
        /** Whether this connection's challenge was answered (event loop). */
        private boolean answered;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (ctx.channel() != channel || closed()) {
                ctx.close();
                return;
            }
            if (!(frame instanceof BinaryWebSocketFrame)) {
                lastProblem = "the relay sent a non-binary message";
                ctx.close();
                return;
            }
            java.util.List<java.nio.ByteBuffer> frames;
            try {
                java.nio.ByteBuffer message = frame.content().nioBuffer();
                if (message.hasRemaining() && message.get(message.position()) == Codec.BATCH) {
                    ctx.channel().attr(OutgoingBatch.BATCHES).set(Boolean.TRUE); // this relay takes batches: ours go out in batches from now on
                }
                frames = Codec.frames(message);
            } catch (MalformedFrameException e) {
                lastProblem = "the relay sent a malformed frame: " + e.getMessage();
                ctx.close();
                return;
            }
            for (java.nio.ByteBuffer one : frames) {
                if (!one(ctx, one)) {
                    return;
                }
            }
        }

        /** One frame from the relay; false when the connection was closed for it. */
        private boolean one(ChannelHandlerContext ctx, java.nio.ByteBuffer bytes) {
            RelayFrame f;
            try {
                f = Codec.decode(bytes);
            } catch (MalformedFrameException e) {
                lastProblem = "the relay sent a malformed frame: " + e.getMessage();
                ctx.close();
                return false;
            }
            if (f instanceof RelayFrame.RelayToClientDatagram d) {
                if (authenticated != null) {
                    received.increment();
                    receiver.datagram(RelayClient.this, d.source(), d.datagram());
                }
            } else if (f instanceof RelayFrame.RelayToClientDatagrams d) {
                if (authenticated != null) {
                    received.add(d.count());
                    receiver.datagrams(RelayClient.this, d.source(), d.datagrams(), d.segmentSize());
                }
            } else if (f instanceof RelayFrame.ServerChallenge c) {
                if (answered) {
                    // one login per connection: a relay asking again (after login, or twice) wants a signature for
                    // something else, such as a login at another relay in our name
                    lastProblem = "the relay sent a second challenge";
                    ctx.close();
                    return false;
                }
                answered = true;
                String relay = RelayFrame.ClientAuth.authority(url); // the signature is good at this relay only
                byte[] signature = signer.apply(RelayFrame.ClientAuth.signedMessage(c.challenge(), relay));
                ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Codec.encode(new RelayFrame.ClientAuth(id, relay, signature)))));
            } else if (f instanceof RelayFrame.ServerConfirmsAuth confirmed) {
                segments = (confirmed.features() & RelayFrame.FEATURE_SEGMENTS) != 0;
                authenticated = ctx.channel();
                connects.increment();
                backoffNanos = options.minBackoff().toNanos();
                lastProblem = "";
                cancelTimer();
                pingSentNanos = 0;
                long every = options.pingInterval().toNanos();
                timer = loop.scheduleAtFixedRate(RelayClient.this::ping, 0, every, TimeUnit.NANOSECONDS);
                state.set(State.CONNECTED);
                receiver.changed(RelayClient.this);
            } else if (f instanceof RelayFrame.ServerDeniesAuth d) {
                lastProblem = "the relay refused us: " + d.reason();
                ctx.close();
                return false;
            } else if (f instanceof RelayFrame.Pong p) {
                if (pingSentNanos != 0 && p.payload() == pingPayload) {
                    latencyNanos = System.nanoTime() - pingSentNanos;
                    pingSentNanos = 0;
                    receiver.changed(RelayClient.this);
                }
            } else if (f instanceof RelayFrame.Ping p) {
                ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Codec.encode(new RelayFrame.Pong(p.payload())))), ctx.voidPromise());
            } else if (f instanceof RelayFrame.EndpointGone g) {
                receiver.gone(RelayClient.this, g.id());
            } else if (f instanceof RelayFrame.Restarting r) {
                lastProblem = "the relay is restarting";
                nextDelayNanos = TimeUnit.MILLISECONDS.toNanos(r.reconnectInMillis());
            } else if (f instanceof RelayFrame.Health h) {
                lastProblem = h.problem();
            } else if (f instanceof RelayFrame.Status s && s.sameIdConnected()) {
                lastProblem = "another connection with our id replaced this one";
            }
            // anything else a server may send is ignored
            return true;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel() == channel) {
                failed(lastProblem.isEmpty() ? "connection closed" : lastProblem);
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            lastProblem = String.valueOf(cause.getMessage());
            ctx.close();
        }
    }

    @Override
    public String toString() {
        return "RelayClient{" + url + " " + state.get() + "}";
    }
}
