package org.quiver.relay.server;

import org.quiver.internal.stun.Stun;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.quiver.relay.protocol.Codec;
import org.quiver.relay.protocol.MalformedFrameException;
import org.quiver.relay.protocol.RelayFrame;

/**
 * The relay on the network: HTTP/1.1 upgraded to WebSocket at {@link #PATH} (netty), one binary message
 * per {@link RelayFrame} or per batch of them ({@link Codec#BATCH}: to a client that asked for batches, each drain's
 * frames go out in as few messages as fit), each connection a {@link RelayCore.Session}. Messages over {@link RelayFrame#MAX_FRAME}
 * and text messages close that client only. Writes follow the socket's writability, so a slow client's
 * backlog stays in its bounded session queue. Optionally also a STUN Binding responder ({@link Stun}) on
 * UDP. Owns its event loops ({@link #defaultThreads()} of them unless its {@link Config} says); {@link #close()} stops them.
 */
public final class RelayServer implements AutoCloseable {
    /** Event loop threads a relay may be given, at most. */
    public static final int MAX_THREADS = 256;

    /** Where clients connect: {@code ws://host:port/relay}. */
    public static final String PATH = "/relay";

    /** How often the relay pings each client by default; a client silent for three intervals is closed. */
    public static final java.time.Duration KEEPALIVE = java.time.Duration.ofSeconds(15);

    private final RelayCore core;
    private final long keepaliveNanos;
    private final EventLoopGroup group;
    private final int threads;
    private final Channel server;
    private final Channel stun;
    private final Channel stunAlt;
    private final java.util.concurrent.atomic.LongAdder stunAnswered = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder stunDropped = new java.util.concurrent.atomic.LongAdder();
    /** Connections open per remote IP address, an IPv6 /64 counting as one (accepted on the event loops, decremented when closed). */
    private final java.util.concurrent.ConcurrentHashMap<java.net.InetAddress, Integer> perAddress = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder perAddressRefused = new java.util.concurrent.atomic.LongAdder();

    /** Connections closed at once because their IP address (IPv6: their /64) had {@link RelayCore.Limits#perAddress()} open already. */
    public long perAddressRefused() {
        return perAddressRefused.sum();
    }

    /** The client connections open now (accepted on the event loops, removed when closed). */
    private final java.util.Set<Channel> children = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.LongAdder upgradeTimeouts = new java.util.concurrent.atomic.LongAdder();
    /** STUN answers per source IP: 64 at once, 16 a second (a NAT with many nodes asks a few per node a minute). */
    private final SourceBudget stunBudget = new SourceBudget(64, 16, System::nanoTime);
    private final java.util.concurrent.atomic.LongAdder stunLimited = new java.util.concurrent.atomic.LongAdder();

    /**
     * TLS for the relay's WebSocket ({@code wss://}): a PEM certificate chain and its PEM private key (PKCS#8,
     * as Let's Encrypt or {@code openssl req -x509 ... -nodes} write them).
     */
    public record Tls(java.nio.file.Path certificateChain, java.nio.file.Path privateKey) {
        public Tls {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
        }

        io.netty.handler.ssl.SslContext context() throws IOException {
            for (java.nio.file.Path p : new java.nio.file.Path[] {certificateChain, privateKey}) {
                if (!java.nio.file.Files.isReadable(p)) {
                    throw new IOException("Cannot read the relay's TLS file " + p);
                }
            }
            try {
                return io.netty.handler.ssl.SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()).build();
            } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
                throw new IOException("Cannot use " + certificateChain + " and " + privateKey + " for TLS: " + e.getMessage(), e);
            }
        }
    }

    /** Starts a relay as {@code config} says. */
    public static RelayServer start(Config config) throws IOException {
        return new RelayServer(config.limits(), config.bind(), config.stunBind(), config.keepalive(),
                config.tls() == null ? null : config.tls().context(), config.names(), config.threads());
    }

    /**
     * The relay's event loop threads by default: half this machine's cores, at least one. A relayed transfer crosses
     * the relay from one client's connection to another's; with both on one loop no thread hands it over, and the
     * kernel's TCP work (most of a relay's CPU) keeps the other cores. Measured on 2 cores (2026-12-03, one stream
     * through relays of one and of two loops in turns in one JVM, three rounds): one loop moved 1.04-1.10 x what two
     * did; 100 pairs of clients at once 0.97 x.
     */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** The event loop threads this relay runs on. */
    public int threads() {
        return threads;
    }

    /**
     * Everything a relay is started with.
     *
     * @param bind      the WebSocket's TCP address
     * @param stunBind  the STUN responder's UDP address, or null for none
     * @param limits    clients, queues, rates
     * @param keepalive how often clients are pinged ({@link #KEEPALIVE} by default)
     * @param tls       TLS for {@code wss://}, or null for plain {@code ws://}
     * @param names     what clients' URLs call this relay besides its addresses ({@code host:port})
     * @param threads   event loop threads, or 0 for {@link #defaultThreads()}
     */
    public record Config(InetSocketAddress bind, InetSocketAddress stunBind, RelayCore.Limits limits, java.time.Duration keepalive, Tls tls,
                         List<String> names, int threads) {
        public Config {
            Objects.requireNonNull(bind, "bind");
            Objects.requireNonNull(limits, "limits");
            Objects.requireNonNull(keepalive, "keepalive");
            names = List.copyOf(names);
            for (String n : names) {
                checkName(n);
            }
            if (threads < 0 || threads > MAX_THREADS) {
                throw new IllegalArgumentException("a relay runs on 1 to " + MAX_THREADS + " threads (0: the default), got " + threads);
            }
        }

        /** A relay on {@link #defaultThreads()} threads. */
        public Config(InetSocketAddress bind, InetSocketAddress stunBind, RelayCore.Limits limits, java.time.Duration keepalive, Tls tls,
                      List<String> names) {
            this(bind, stunBind, limits, keepalive, tls, names, 0);
        }

        /** A relay known by its addresses only (see {@link #isOurName}). */
        public Config(InetSocketAddress bind, InetSocketAddress stunBind, RelayCore.Limits limits, java.time.Duration keepalive, Tls tls) {
            this(bind, stunBind, limits, keepalive, tls, List.of());
        }
    }

    /** Checks that {@code name} is a relay authority as clients sign it: {@code host:port}. */
    static void checkName(String name) {
        int colon = name.lastIndexOf(':');
        if (colon <= 0 || colon == name.length() - 1 || !name.substring(colon + 1).chars().allMatch(Character::isDigit)
                || name.length() > RelayFrame.ClientAuth.MAX_RELAY || name.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new IllegalArgumentException("a relay name is host:port as clients' URLs give it (relay.example.com:443), got '" + name + "'");
        }
    }

    private final java.util.Set<String> names;

    /**
     * Whether a login signed for {@code authority} ({@code host:port}) is for this relay: one of the configured
     * names (what clients' URLs say: {@code relay.example.com:443} behind a proxy), or an IP address of this
     * relay's socket (any local address when it listens on all of them) with its port, or {@code localhost} with
     * its port. Never a name lookup.
     */
    boolean isOurName(String authority) {
        String a = authority.toLowerCase(java.util.Locale.ROOT);
        if (names.contains(a)) {
            return true;
        }
        int colon = a.lastIndexOf(':');
        InetSocketAddress bound = address();
        if (colon <= 0 || !a.substring(colon + 1).equals(Integer.toString(bound.getPort()))) {
            return false;
        }
        String host = a.substring(0, colon);
        if (host.equals("localhost")) {
            return bound.getAddress().isAnyLocalAddress() || bound.getAddress().isLoopbackAddress();
        }
        java.net.InetAddress ip;
        try {
            if (host.startsWith("[") && host.endsWith("]")) {
                ip = java.net.InetAddress.getByName(host.substring(1, host.length() - 1)); // a literal: no lookup
            } else if (host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                ip = java.net.InetAddress.getByName(host);
            } else {
                return false; // a name not configured
            }
        } catch (IOException e) {
            return false;
        }
        if (bound.getAddress().isAnyLocalAddress()) {
            try {
                return ip.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(ip) != null;
            } catch (IOException e) {
                return false;
            }
        }
        return ip.equals(bound.getAddress());
    }

    private final io.netty.handler.ssl.SslContext ssl;

    private RelayServer(RelayCore.Limits limits, InetSocketAddress bind, InetSocketAddress stunBind, java.time.Duration keepalive) throws IOException {
        this(limits, bind, stunBind, keepalive, null, List.of(), 0);
    }

    private RelayServer(RelayCore.Limits limits, InetSocketAddress bind, InetSocketAddress stunBind, java.time.Duration keepalive,
                        io.netty.handler.ssl.SslContext ssl, List<String> names, int threads) throws IOException {
        this.threads = threads > 0 ? threads : defaultThreads();
        this.names = names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.core = new RelayCore(limits, System::nanoTime, this::isOurName);
        this.ssl = ssl;
        if (keepalive.isNegative() || keepalive.isZero()) {
            throw new IllegalArgumentException("the keepalive interval must be positive, got " + keepalive);
        }
        this.keepaliveNanos = keepalive.toNanos();
        this.group = new MultiThreadIoEventLoopGroup(this.threads, new DefaultThreadFactory("quiver-relay", true), NioIoHandler.newFactory());
        try {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    // datagrams are latency-sensitive (QUIC's acks ride on them): no Nagle delay
                    .childOption(io.netty.channel.ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            java.net.InetAddress from = SourcePrefix.of(ch.remoteAddress().getAddress()); // an IPv6 /64 is one source
                            if (perAddress.merge(from, 1, Integer::sum) > core.limits().perAddress()) {
                                // before TLS or HTTP: a flood from one address costs an accept and a close
                                perAddressRefused.increment();
                                perAddress.merge(from, -1, (a, b) -> a + b == 0 ? null : a + b);
                                ch.close();
                                return;
                            }
                            ch.closeFuture().addListener(f -> perAddress.merge(from, -1, (a, b) -> a + b == 0 ? null : a + b));
                            if (ssl != null) {
                                ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                            }
                            Connection connection = new Connection();
                            children.add(ch);
                            ch.closeFuture().addListener(f -> children.remove(ch));
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                    new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder().websocketPath(PATH)
                                            .maxFramePayloadLength(RelayFrame.MAX_FRAME).checkStartsWith(false).build()),
                                    connection);
                            // a connection that never completes the WebSocket upgrade (TCP, or TLS, and nothing
                            // more) does not hold a socket: the same deadline as for logging in after it
                            ch.eventLoop().schedule(() -> {
                                if (connection.channel == null && ch.isOpen()) {
                                    upgradeTimeouts.increment();
                                    ch.close();
                                }
                            }, loginNanos(), TimeUnit.NANOSECONDS);
                        }
                    })
                    .bind(bind).sync().channel();
            stun = stunBind == null ? null : stunResponder(stunBind);
            // the same responder one port up: an endpoint asking both learns whether its NAT maps per destination
            // (a symmetric NAT gives each port another mapping), which decides how it punches
            stunAlt = stun == null || stunBind.getPort() == 65535 ? null
                    : stunResponder(new InetSocketAddress(stunBind.getAddress(), stunBind.getPort() == 0 ? 0 : stunBind.getPort() + 1));
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("Cannot start the relay at " + bind + ": " + e.getMessage(), e);
        }
    }

    private Channel stunResponder(InetSocketAddress at) throws InterruptedException {
        return new io.netty.bootstrap.Bootstrap().group(group)
                .channel(io.netty.channel.socket.nio.NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<io.netty.channel.socket.DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, io.netty.channel.socket.DatagramPacket packet) {
                        if (!stunBudget.take(packet.sender().getAddress())) {
                            stunLimited.increment(); // the answer is twice the request: not for a flood from one source
                            return;
                        }
                        byte[] request = io.netty.buffer.ByteBufUtil.getBytes(packet.content());
                        byte[] response = Stun.bindingResponse(request, packet.sender());
                        if (response == null) {
                            stunDropped.increment();
                            return;
                        }
                        stunAnswered.increment();
                        ctx.writeAndFlush(new io.netty.channel.socket.DatagramPacket(Unpooled.wrappedBuffer(response), packet.sender()));
                    }
                })
                .bind(at).sync().channel();
    }

    /** Starts a relay with {@code limits} listening at {@code bind}, without STUN. */
    public static RelayServer start(InetSocketAddress bind, RelayCore.Limits limits) throws IOException {
        return new RelayServer(limits, bind, null, KEEPALIVE);
    }

    /**
     * Starts a relay without STUN that pings its clients every {@code keepalive}: a client must log in within
     * two intervals (at most 10 s) and is closed after three intervals without a frame from it.
     */
    public static RelayServer start(InetSocketAddress bind, RelayCore.Limits limits, java.time.Duration keepalive) throws IOException {
        return new RelayServer(limits, bind, null, keepalive);
    }

    /** Starts a relay at {@code bind} and a STUN Binding responder on UDP at {@code stunBind} (usually port 3478). */
    public static RelayServer start(InetSocketAddress bind, InetSocketAddress stunBind, RelayCore.Limits limits) throws IOException {
        return new RelayServer(limits, bind, Objects.requireNonNull(stunBind, "stunBind"), KEEPALIVE);
    }

    /** The STUN responder's UDP address, or null when there is none. */
    public InetSocketAddress stunAddress() {
        return stun == null ? null : (InetSocketAddress) stun.localAddress();
    }

    /** The second STUN responder's UDP address (the port above {@link #stunAddress()}), or null when there is none. */
    public InetSocketAddress stunAltAddress() {
        return stunAlt == null ? null : (InetSocketAddress) stunAlt.localAddress();
    }

    /** STUN requests answered, and datagrams on the STUN port that were not Binding requests (dropped). */
    /** How long a connection may take to complete the WebSocket upgrade, and then to log in: 2 keepalives, at most 10 s. */
    private long loginNanos() {
        return Math.min(2 * keepaliveNanos, TimeUnit.SECONDS.toNanos(10));
    }

    /** STUN requests left unanswered because their source IP had used its budget. */
    public long stunLimited() {
        return stunLimited.sum();
    }

    /** Connections closed because they did not complete the WebSocket upgrade in time. */
    public long upgradeTimeouts() {
        return upgradeTimeouts.sum();
    }

    public long[] stunCounts() {
        return new long[] {stunAnswered.sum(), stunDropped.sum()};
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** The URL clients use: {@code ws://host:port/relay}, or {@code wss://} with TLS. */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return (ssl == null ? "ws://" : "wss://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + PATH;
    }

    public RelayCore core() {
        return core;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        // every client connection is closed here: stopping the event loops alone left some sockets open (a client
        // accepted shortly before the stop kept its descriptor, in CLOSE_WAIT once the client went: seen in soak.sh)
        List<io.netty.channel.ChannelFuture> closing = new ArrayList<>();
        for (Channel ch : children) {
            closing.add(ch.close());
        }
        for (io.netty.channel.ChannelFuture f : closing) {
            f.awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        if (stun != null) {
            stun.close().syncUninterruptibly();
        }
        if (stunAlt != null) {
            stunAlt.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One client: frames in to its session, its session's frames out as the socket takes them. */
    private final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> implements RelayCore.Transport {
        // set on the event loop, read by other sessions' threads (wake, close)
        private volatile Channel channel;
        private volatile RelayCore.Session session;
        private volatile String closing;
        /** A drain task is queued on the loop (set by {@link #wake} from any thread, cleared by the drain). */
        private final java.util.concurrent.atomic.AtomicBoolean drainQueued = new java.util.concurrent.atomic.AtomicBoolean();
        /** Frames queued for this client at which a sender on its loop has them written at once (a quarter of its queue). */
        private final int drainAt = Math.max(1, core.limits().queueFrames() / 4);
        /** The client asked for batches (set before {@link #channel}, read on the event loop). */
        private volatile boolean batches;
        /** The client asked for segmented datagram frames (set before its session opens; read by any session's thread). */
        private volatile boolean segments;

        @Override
        public boolean segments() {
            return segments;
        }
        /** When the client last sent a frame (event loop). */
        private long lastRead = System.nanoTime();
        private io.netty.util.concurrent.ScheduledFuture<?> keepalive;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
                batches = "1".equals(hc.requestHeaders().get(Codec.BATCH_HEADER));
                segments = "1".equals(hc.requestHeaders().get(Codec.SEGMENTS_HEADER));
                channel = ctx.channel();
                session = core.open(this);
                long opened = System.nanoTime();
                long loginNanos = loginNanos();
                // a client that never logs in, or goes silent, does not keep its slot
                keepalive = ctx.channel().eventLoop().scheduleAtFixedRate(() -> {
                    RelayCore.Session s = session;
                    long now = System.nanoTime();
                    if (s == null) {
                        return;
                    }
                    if (s.id() == null && now - opened >= loginNanos) {
                        s.expire("no login within " + TimeUnit.NANOSECONDS.toMillis(loginNanos) + " ms");
                    } else if (now - lastRead >= 3 * keepaliveNanos) {
                        s.expire("silent for " + TimeUnit.NANOSECONDS.toMillis(now - lastRead) + " ms");
                    } else if (s.id() != null) {
                        s.ping(now);
                    }
                }, Math.min(keepaliveNanos, loginNanos), Math.min(keepaliveNanos, loginNanos), TimeUnit.NANOSECONDS);
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (session == null) {
                return;
            }
            lastRead = System.nanoTime();
            if (!(frame instanceof BinaryWebSocketFrame)) {
                session.malformed("only binary messages carry relay frames");
                return;
            }
            try {
                for (java.nio.ByteBuffer one : Codec.frames(frame.content().nioBuffer())) {
                    session.received(Codec.decode(one));
                }
            } catch (MalformedFrameException e) {
                session.malformed(e.getMessage());
            }
        }

        @Override
        public void wake() {
            Channel ch = channel;
            if (ch == null) {
                return;
            }
            RelayCore.Session s = session;
            if (s != null && ch.eventLoop().inEventLoop() && s.queued() >= drainAt) {
                // a sender on this loop whose burst fills this client's queue within one read: written now, not
                // after the whole read (netty reads up to 16 buffers of a connection in one go: ~2,000 datagrams,
                // more than the queue holds, so a client's burst was partly dropped at its peer's queue)
                drain();
                return;
            }
            if (drainQueued.compareAndSet(false, true)) { // one drain task for a burst of frames
                ch.eventLoop().execute(this::drain);
            }
        }

        /** Writes queued frames while the socket takes them; then, if asked to, closes. */
        private void drain() {
            drainQueued.set(false); // first: a frame queued after this point wakes another drain, or is taken below
            Channel ch = channel;
            if (session == null) { // refused (relay full): nothing to send but the close
                ch.writeAndFlush(new CloseWebSocketFrame(1013, "relay full")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            boolean wrote = false;
            io.netty.buffer.ByteBuf batch = null; // the message being filled, for a client that takes batches
            while (ch.isWritable()) {
                RelayFrame f = session.poll();
                if (f == null) {
                    break;
                }
                int length = Codec.encodedLength(f);
                wrote = true;
                if (!batches || length > Codec.MAX_BATCHED_FRAME) {
                    if (batch != null) {
                        ch.write(new BinaryWebSocketFrame(batch));
                        batch = null;
                    }
                    // straight into a pooled direct buffer: a burst's one copy on its way out (as a heap array it was
                    // copied again into direct memory for the socket, and left 64 KiB of garbage per burst)
                    io.netty.buffer.ByteBuf alone = ch.alloc().directBuffer(length);
                    try {
                        Codec.encode(f, alone.nioBuffer(0, length));
                    } catch (RuntimeException e) {
                        alone.release();
                        throw e;
                    }
                    ch.write(new BinaryWebSocketFrame(alone.writerIndex(length)));
                    continue;
                }
                if (batch != null && batch.readableBytes() + 2 + length > Codec.MAX_BATCH) {
                    ch.write(new BinaryWebSocketFrame(batch));
                    batch = null;
                }
                if (batch == null) {
                    batch = ch.alloc().buffer(Math.min(Codec.MAX_BATCH, 1 + 2 + length + 16 * 1024)).writeByte(Codec.BATCH);
                }
                // the frame straight into the message: a datagram's one copy on its way out
                batch.writeShort(length).ensureWritable(length);
                Codec.encode(f, batch.nioBuffer(batch.writerIndex(), length));
                batch.writerIndex(batch.writerIndex() + length);
            }
            if (batch != null) {
                ch.write(new BinaryWebSocketFrame(batch));
            }
            if (wrote) {
                ch.flush();
            }
            String why = closing;
            if (why != null && session.queued() == 0) {
                ch.writeAndFlush(new CloseWebSocketFrame(1008, why.length() > 120 ? why.substring(0, 120) : why))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (session != null && ctx.channel().isWritable()) {
                drain();
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void close(String reason) {
            closing = reason;
            Channel ch = channel;
            if (ch == null) {
                return; // refused before the handshake completed: the channel is closed by the caller's path
            }
            ch.eventLoop().execute(this::drain);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (keepalive != null) {
                keepalive.cancel(false);
            }
            if (session != null) {
                session.closed();
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // an oversized or broken WebSocket frame, a reset: this client only
            ctx.close();
        }
    }
}
