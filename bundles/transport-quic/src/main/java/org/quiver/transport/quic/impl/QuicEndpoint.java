package org.quiver.transport.quic.impl;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.CloseInfo;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.PathInfo;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.api.Watchable;
import org.quiver.api.WatchableValue;

/**
 * The QUIC endpoint: one UDP socket that both accepts and dials, with netty's two QUIC codecs behind a
 * connection-id router and QUIC talking only to mapped addresses (see {@link PathTable}).
 *
 * <pre>
 *   application ── Connection / streams ── QUIC codecs (server role, client role) in VirtualChannels
 *                                                   │ mapped addresses
 *                                 PathTable: mapped address → current real path
 *                                                   │
 *                       UDP socket: SocketReader -> Router (in) / Sender -> Router (out)
 * </pre>
 *
 * Owns one event-loop thread (the socket, both codecs and every connection run on it) and a small pool
 * for protocol handlers; {@link #close()} stops both and frees the port.
 */
public final class QuicEndpoint implements Endpoint {
    /** How long a closing endpoint waits for peers to see its close before it aborts. */
    static final Duration DRAIN = Duration.ofMillis(250);
    private static final long SWEEP_SECONDS = 5;
    /** UDP payload limit both ways: a 1500-byte MTU less IPv4 and UDP headers. */
    static final int MAX_UDP_PAYLOAD = 1472;

    private final LocalIdentity identity;
    /** The accepting side: handlers by ALPN, server TLS, accepted connections and their streams. */
    private final Acceptor acceptor;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Channel udp;
    private final VirtualChannel serverSide;
    private final VirtualChannel clientSide;
    private final PathTable paths;
    private final PathLayer pathLayer;
    private final Outbox outbox;
    private final Metrics metrics = new Metrics();
    /** The structured events (EventAdmin in OSGi). */
    private final Events events;
    /** The dialing side: the path a dial starts on, client-role TLS, our dials' connection ids. */
    private final Dialer dialer;
    /** A peer's packet from an address it had not used (a NAT rebinding): QUIC decides, then the peer moves there. */
    private final Router.Rebinding rebinding = new Router.Rebinding() {
        @Override
        public long accepted(PathTable.Peer peer) {
            long sum = 0;
            for (QuicConnectionImpl c : peer.connections) { // this peer's only: bounded by the per-peer limit
                io.netty.util.concurrent.Future<io.netty.handler.codec.quic.QuicConnectionStats> f = c.channel().collectStats();
                if (f.isSuccess()) { // on the loop it is done at once
                    sum += f.getNow().recv();
                }
            }
            return sum;
        }

        @Override
        public void rebound(PathTable.Peer peer, InetSocketAddress from) {
            rebindings.increment();
            pathLayer.rebound(peer, from, paths.now());
        }
    };
    /** NAT rebindings followed (a peer's connections moved to the address its QUIC packets came from). */
    final LongAdder rebindings = new LongAdder();
    /** The live connections, with their metrics and events. */
    private final Connections connections;
    private final ExecutorService handlerPool;
    private final LongAdder dropped = new LongAdder();
    private final WatchableValue<EndpointAddr> addr;
    private final WatchableValue<List<InetSocketAddress>> bound;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Duration idleTimeout;
    private final int maxConnectionsPerPeer;
    private final Duration lookupTimeout;
    /** Wall-clock time: the age of discovery results and the time in the records this endpoint signs. */
    private final java.time.Clock clock;
    /** The one route in and out for datagrams of every path. */
    private final Router router;
    /** The relay as a path: the provider's link, the home relay, relayed datagrams in and out. */
    private final RelayTransport relays;
    /** Birthday punching's extra sockets. */
    private final PunchSockets punch;
    /** The own address: interface and reflexive (STUN) addresses, home relay, our NAT's behaviour. */
    private final OwnAddress own;

    QuicEndpoint(EndpointBuilder b) throws QuiverException {
        this.identity = b.identity;
        this.idleTimeout = b.idleTimeout;
        this.maxConnectionsPerPeer = b.maxConnectionsPerPeer;
        this.allowed = b.allowed;
        this.lookupTimeout = b.lookupTimeout;
        this.clock = b.clock;
        this.paths = new PathTable(b.maxPeers, b.ticker);
        this.pathLayer = new PathLayer(identity, paths, b.timings, this::sendControl, this::pathChanged);
        if (b.selector != null) {
            pathLayer.selector(b.selector);
        }
        this.own = new OwnAddress(new OwnAddress.Host() {
            @Override
            public void onLoop(Runnable task) {
                QuicEndpoint.this.onLoop(task);
            }

            @Override
            public boolean offPool(Runnable task) {
                if (closing.get()) {
                    return false;
                }
                try {
                    handlerPool.execute(task);
                    return true;
                } catch (java.util.concurrent.RejectedExecutionException closingOrBusy) {
                    return false;
                }
            }

            @Override
            public void publish() {
                QuicEndpoint.this.publish(null);
            }

            @Override
            public void candidatesChanged() {
                pathLayer.ownCandidatesChanged(paths.now());
            }

            @Override
            public boolean reachable(InetSocketAddress a) {
                return pathLayer.reachable(a);
            }
        }, (to, datagram) -> udp().writeAndFlush(new DatagramPacket(io.netty.buffer.Unpooled.wrappedBuffer(datagram), to)), b.stunServers);
        pathLayer.stun((from, d) -> own.reflexive().onMessage(from, d, paths.now()));
        pathLayer.ownFlags(own::natFlags);
        pathLayer.relayCarries(this::relayCarries);
        pathLayer.fan(this::openFan);
        pathLayer.punches(new HolePunching.Punches() {
            @Override
            public void attempt() {
                metrics.get().holePunchAttempt();
            }

            @Override
            public void success(long timeToDirectNanos) {
                metrics.get().holePunchSuccess(Duration.ofNanos(timeToDirectNanos));
            }
        });
        pathLayer.authenticated(this::authenticated); // a peer answered on an extra socket: its path goes through it
        pathLayer.ownCandidates(() -> {
            List<InetSocketAddress> own = new ArrayList<>(ownAddress().directAddresses());
            own.addAll(pathLayer.observedAddresses());
            return own;
        });
        IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        DefaultThreadFactory loopThreads = new DefaultThreadFactory("quiver-endpoint", true);
        // the loop thread is marked: a blocking view called on it fails fast instead of deadlocking the endpoint
        java.util.concurrent.ThreadFactory markedLoopThreads = r -> loopThreads.newThread(() -> {
            org.quiver.api.Blocking.markNonBlocking("a Quiver endpoint's event loop");
            r.run();
        });
        this.group = new MultiThreadIoEventLoopGroup(1, markedLoopThreads, io);
        this.loop = group.next();
        // Every thread up to the limit is used before anything queues (a pool with no core threads would run
        // one handler at a time); idle threads end after 30 s.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(b.handlerThreads, b.handlerThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(1_000), new DefaultThreadFactory("quiver-handler", true));
        pool.allowCoreThreadTimeOut(true);
        this.handlerPool = pool;
        this.acceptor = new Acceptor(identity, paths, pathLayer, new Acceptor.Host() {
            @Override
            public void track(QuicConnectionImpl conn) {
                QuicEndpoint.this.track(conn);
            }

            @Override
            public java.util.Set<EndpointId> allowed() {
                return allowed;
            }
        }, pool, dropped, b.maxConnectionsPerPeer, b.handlers);
        this.events = new Events(identity.id(), b.events);
        this.connections = new Connections(metrics, events, pathLayer, this::onLoop, closing::get);
        this.outbox = new Outbox(b.pending, b.ticker, this::reuseOrConnect, pool, (key, p, reason) -> {
            if (reason == BoundedPendingBuffer.Reason.OVERFLOW) {
                metrics.get().bufferDropped(p.data().length);
            } else if (reason == BoundedPendingBuffer.Reason.EXPIRED) {
                metrics.get().bufferExpired(p.data().length);
            }
            events.post(org.quiver.api.EventTopics.BUFFER_DROPPED,
                    org.quiver.api.EventTopics.PEER_ID, key.id().toString(), org.quiver.api.EventTopics.ALPN, key.alpn(),
                    org.quiver.api.EventTopics.REASON, reason.name(), org.quiver.api.EventTopics.BYTES, (long) p.data().length);
        });
        if (b.metrics != null) {
            metrics.set(b.metrics);
        }
        VirtualChannel.Sender sender = new VirtualChannel.Sender() {
            @Override
            public void send(InetSocketAddress mapped, ByteBuf content) {
                PathTable.Peer peer = paths.byMapped(mapped);
                if (peer == null || !pathLayer.reachable(peer.real)) {
                    // no path, or one this socket cannot carry (an IPv6 address on an IPv4 socket): dropped and
                    // counted, never an error for QUIC, which recovers once a usable path is selected
                    dropped.increment();
                    metrics.get().datagramDropped("no-path");
                    content.release();
                    return;
                }
                paths.issued(peer, content); // a handshake packet: its id is how a rebound peer is recognised
                router.outbound(peer, peer.real, content, true);
            }

            @Override
            public void flush() {
                router.flush();
            }
        };
        this.serverSide = new VirtualChannel(loop, sender);
        this.clientSide = new VirtualChannel(loop, sender);
        this.punch = new PunchSockets(loop, paths, pathLayer, closing::get);
        this.dialer = new Dialer(identity, paths, pathLayer, new Dialer.Host() {
            @Override
            public void onLoop(Runnable task) {
                QuicEndpoint.this.onLoop(task);
            }

            @Override
            public void track(QuicConnectionImpl conn) {
                QuicEndpoint.this.track(conn);
            }

            @Override
            public boolean relayAttached() {
                return relays.attached();
            }

            @Override
            public java.net.URI homeRelay() {
                return relays.home();
            }

            @Override
            public InetSocketAddress localAddress() {
                return QuicEndpoint.this.localAddress();
            }
        }, dropped);
        this.router = new Router(paths, pathLayer, serverSide, clientSide, dialer.liveClientIds, dialer.unconfirmed, rebinding, dropped, metrics,
                punch::arriving);
        this.relays = new RelayTransport(new RelayTransport.Host() {
            @Override
            public void onLoop(Runnable task) {
                QuicEndpoint.this.onLoop(task);
            }

            @Override
            public void homeChanged(java.net.URI home, java.net.URI previous) {
                QuicEndpoint.this.homeChanged(home, previous);
            }

            @Override
            public boolean closing() {
                return closing.get();
            }
        }, identity, paths, router, dropped, metrics);
        try {
            Bootstrap bootstrap = new Bootstrap().group(loop)
                    .channel(Epoll.isAvailable() ? EpollDatagramChannel.class : NioDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                    .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                    .handler(new SocketReader(router, metrics, dropped));
            this.udp = bootstrap.bind(b.bind).sync().channel();
            punch.wire(udp, router, metrics, dropped);
            router.links(new Router.Links() {
                @Override
                public Channel socketFor(InetSocketAddress to) {
                    return punch.socketFor(to);
                }

                @Override
                public boolean relaySend(EndpointId peer, java.nio.ByteBuffer datagram) {
                    return relays.send(peer, datagram);
                }
            }, udp);
            loop.register(serverSide).sync();
            loop.register(clientSide).sync();
            serverSide.pipeline().addLast(acceptor.codec(b.clock, builder -> transportParameters(builder, b)));
            clientSide.pipeline().addLast(dialer.codec(clientSide, builder -> transportParameters(builder, b)));
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            handlerPool.shutdownNow();
            throw new QuiverException("Cannot bind the QUIC endpoint to " + b.bind + ": " + e.getMessage(), e);
        }
        // peers no connection uses any more (closed, or handshakes that never finished) are forgotten
        long idleNanos = idleTimeout.toNanos();
        periodic(() -> {
            metrics.get().eventLoopTick("sweep");
            paths.sweep(idleNanos);
            punch.sweep(paths.now());
        }, TimeUnit.SECONDS.toNanos(SWEEP_SECONDS));
        InetSocketAddress local = (InetSocketAddress) udp.localAddress();
        pathLayer.socketFamily(local.getAddress() instanceof java.net.Inet6Address);
        long tick = pathLayer.tickNanos();
        periodic(() -> {
            metrics.get().eventLoopTick("paths");
            long now = paths.now();
            pathLayer.tick(now);
            own.reflexive().tick(now);
        }, tick);
        long expiry = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(b.pending.ttl().toNanos() / 2, TimeUnit.SECONDS.toNanos(1)));
        periodic(() -> {
            if (outbox.stats().messages() == 0) {
                return; // nothing waits: no pool task (each one would keep a pool thread from ending when idle)
            }
            try {
                handlerPool.execute(outbox::expire); // the expired are told on a pool thread, never on the loop
            } catch (java.util.concurrent.RejectedExecutionException closingOrBusy) {
                // next round
            }
        }, expiry);
        this.bound = new WatchableValue<>("bound addresses", List.of(local));
        this.addr = own.start(identity.id(), local);
        b.discoveries.forEach(this::addDiscovery);
        // records are refused after a day: publish again well before that
        periodic(() -> publish(null), TimeUnit.MINUTES.toNanos(30));
        if (b.relay != null) {
            try {
                relay(b.relay);
            } catch (IllegalStateException e) {
                // a provider that cannot attach leaves the endpoint with direct paths only; the message says why
            }
        }
    }

    /**
     * Uses {@code provider} (null: none) for the relay path from now on. The new provider is attached before
     * the old one is detached; connections on the relay path move to the new relay link and keep running
     * (datagrams in flight at the swap may be lost, which QUIC recovers). Direct paths are not touched.
     */
    public void relay(org.quiver.spi.relay.RelayProvider provider) {
        if (closing.get() && provider != null) {
            return;
        }
        try {
            pathLayer.relayAvailable(relays.use(provider));
        } catch (IllegalStateException failed) {
            pathLayer.relayAvailable(false);
            throw failed;
        }
    }

    /** The path layer's datagrams (probes, calls): through the router, flushed at once. Event loop. */
    private void sendControl(PathAddr to, byte[] datagram) {
        router.outbound(null, to, io.netty.buffer.Unpooled.wrappedBuffer(datagram), false);
    }

    /** Whether the relay that reaches {@code peer} is connected now (the path layer's question). */
    private boolean relayCarries(PathTable.Peer peer) {
        return relays.carries(peer);
    }

    /** The path layer asks for birthday punching's extra sockets toward {@code targets}. Event loop. */
    private void openFan(PathTable.Peer peer, List<InetSocketAddress> targets) {
        punch.open(peer, targets);
    }

    /** The path layer authenticated a peer's probe from {@code from}. Event loop. */
    private void authenticated(InetSocketAddress from) {
        punch.authenticated(from);
    }

    /** The home relay changed (from {@link RelayTransport}, never under its lock): the own address and peers follow. */
    private void homeChanged(java.net.URI home, java.net.URI previous) {
        // whoever updates last sets the home relay as it is then, so racing changes end on the latest one
        if (!own.homeRelay(relays.home(), relays())) {
            return; // the endpoint closed meanwhile
        }
        publish(null);
        events.post(org.quiver.api.EventTopics.RELAY_HOME_CHANGED, org.quiver.api.EventTopics.RELAY_URL, home == null ? null : home.toString(),
                org.quiver.api.EventTopics.PREVIOUS, previous == null ? null : previous.toString());
    }

    private EndpointAddr ownAddress() {
        return addr.get();
    }

    /** The reflexive addresses STUN servers reported for the socket, and whether the NAT maps per destination. */
    List<InetSocketAddress> reflexiveAddresses() {
        return own.reflexiveAddresses();
    }

    @Override
    public List<org.quiver.api.RelayStatus> relays() {
        return relays.status();
    }



    /** A builder for an endpoint of {@code identity}. */
    public static EndpointBuilder builder(LocalIdentity identity) {
        return new EndpointBuilder(identity);
    }

    private Channel udp() {
        return udp;
    }

    private static <B extends io.netty.handler.codec.quic.QuicCodecBuilder<B>> B transportParameters(B builder, EndpointBuilder b) {
        return builder.maxIdleTimeout(b.idleTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(64L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalLocal(16L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalRemote(16L * 1024 * 1024)
                .initialMaxStreamDataUnidirectional(16L * 1024 * 1024)
                .initialMaxStreamsBidirectional(b.maxStreams)
                .initialMaxStreamsUnidirectional(b.maxStreams)
                .maxSendUdpPayloadSize(MAX_UDP_PAYLOAD)
                .maxRecvUdpPayloadSize(MAX_UDP_PAYLOAD)
                .datagram(2048, 2048);
    }

    @Override
    public EndpointId id() {
        return identity.id();
    }

    @Override
    public Watchable<EndpointAddr> addr() {
        return addr;
    }

    @Override
    public Watchable<List<InetSocketAddress>> boundAddresses() {
        return bound;
    }

    /** The local UDP socket address. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) udp.localAddress();
    }

    /** The path layer (tests in this package read its counters). */
    /** The router, for tests that hand it datagrams as any path would (on the loop: {@link #onLoopGet}). */
    Router router() {
        return router;
    }

    /** Birthday punching's sockets, for tests (event loop: {@link #onLoopGet}). */
    PunchSockets punch() {
        return punch;
    }

    PathLayer pathLayer() {
        return pathLayer;
    }

    /** Probes sent, received, and dropped (malformed, forged, replayed, unexpected, over budget); path switches. */
    long[] probeCounts() {
        return new long[] {pathLayer.probesSent.sum(), pathLayer.probesReceived.sum(), pathLayer.probesDropped.sum(),
                pathLayer.pathSwitches.sum()};
    }

    /** This endpoint's own addresses as peers observed them (from their pongs), most recent last. */
    List<InetSocketAddress> observedAddresses() {
        return pathLayer.observedAddresses();
    }

    /**
     * Uses {@code selector} (null: the default) to choose paths from now on, re-evaluating every peer at once;
     * live connections move if the new policy prefers another path, and are never dropped.
     */
    public void pathSelector(org.quiver.spi.path.PathSelector selector) {
        pathLayer.selector(selector);
        onLoop(pathLayer::reselectAll);
    }

    /**
     * Reports to {@code m} from now on (null: nowhere). Swapping never disturbs traffic; counts of
     * connections open at the swap are not carried over.
     */
    public void metrics(org.quiver.spi.metrics.TransportMetrics m) {
        metrics.set(m);
    }

    /** The selector in use. */
    org.quiver.spi.path.PathSelector pathSelector() {
        return pathLayer.selector();
    }

    @Override
    public List<org.quiver.api.PathStatus> paths(EndpointId peer) {
        PathTable.Peer p = paths.byId(peer);
        if (p == null) {
            return List.of();
        }
        if (loop.inEventLoop()) {
            return pathLayer.status(p);
        }
        try {
            return loop.submit(() -> pathLayer.status(p)).get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                 | java.util.concurrent.RejectedExecutionException e) {
            return List.of(); // closing
        }
    }

    /** Posts an event of {@code topic} with {@code keyValues} (alternating names and values) and this endpoint's id. */
    /** Runs {@code task} on the event loop; once the endpoint has closed there is nothing left to do. */
    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the loop has stopped: the endpoint is closed
        }
    }

    /** Event loop: the path layer moved {@code peer}; its connections report the new path. */
    private void pathChanged(PathTable.Peer peer, Candidate<PathAddr> previous,
                             Candidate<PathAddr> selected) {
        connections.pathChanged(peer, previous, selected);
    }

    @Override
    public CompletionStage<Void> send(EndpointAddr to, String alpn, byte[] message) {
        if (closing.get()) {
            return CompletableFuture.failedFuture(new QuiverException("The endpoint is closed"));
        }
        return outbox.send(to, alpn, message);
    }

    /** What {@link #send} holds: peers, messages, bytes waiting, and how many were dropped or expired so far. */
    BoundedPendingBuffer.Stats pendingStats() {
        return outbox.stats();
    }

    /** A live connection this endpoint dialed to {@code to} with {@code alpn}, or a new one. */
    private CompletionStage<Connection> reuseOrConnect(EndpointAddr to, String alpn) {
        QuicConnectionImpl live = connections.dialedTo(to.id(), alpn);
        return live != null ? CompletableFuture.completedFuture(live) : connect(to, alpn);
    }

    // ---- discovery ----

    /** The discovery providers in use, with their names. */
    private final Map<org.quiver.spi.discovery.Discovery, String> discoveries = new ConcurrentHashMap<>();
    /** What a dial by id ({@link AddressLookup}) uses of this endpoint. */
    private final AddressLookup.Host lookupHost = new AddressLookup.Host() {
        @Override
        public Map<org.quiver.spi.discovery.Discovery, String> providers() {
            return Map.copyOf(discoveries);
        }

        @Override
        public void schedule(Runnable task, long nanos) {
            loop.schedule(task, nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public java.time.Instant now() {
            return clock.instant();
        }

        @Override
        public org.quiver.spi.metrics.TransportMetrics metrics() {
            return metrics.get();
        }

        @Override
        public CompletionStage<Connection> dial(EndpointAddr a, String alpn) {
            return connect(a, alpn);
        }

        @Override
        public boolean usable(EndpointAddr a) {
            return QuicEndpoint.this.usable(a);
        }

        @Override
        public void learnPublished(EndpointAddr a) {
            QuicEndpoint.this.learnPublished(a);
        }

        @Override
        public boolean hasHomeRelay() {
            return relays.attached() && relays.home() != null;
        }
    };

    /**
     * Uses {@code provider} (called {@code name}) to find peers by id from now on, and publishes this
     * endpoint's signed address to it now and whenever the address changes.
     */
    public void addDiscovery(org.quiver.spi.discovery.Discovery provider, String name) {
        discoveries.put(Objects.requireNonNull(provider, "provider"), Objects.requireNonNull(name, "name"));
        publish(provider);
    }

    /** Stops using {@code provider}; lookups it is running are cancelled by their own timeout or result. */
    public void removeDiscovery(org.quiver.spi.discovery.Discovery provider) {
        discoveries.remove(provider);
    }

    /** Signs the own address now and hands it to {@code only} (or to every provider), off the loop; failures are the provider's. */
    private void publish(org.quiver.spi.discovery.Discovery only) {
        if (closing.get() || addr.isClosed()) {
            return;
        }
        org.quiver.spi.discovery.EndpointRecord record;
        try {
            record = org.quiver.spi.discovery.EndpointRecord.sign(addr.get(), clock.instant(), identity::sign);
        } catch (RuntimeException e) {
            return; // the identity cannot sign (being replaced): the next change publishes
        }
        List<org.quiver.spi.discovery.Discovery> targets = only != null ? List.of(only) : List.copyOf(discoveries.keySet());
        for (org.quiver.spi.discovery.Discovery d : targets) {
            try {
                handlerPool.execute(() -> {
                    try {
                        d.publish(record);
                    } catch (RuntimeException | Error e) {
                        // fire and forget: a provider's failure is its own
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closingOrBusy) {
                return;
            }
        }
    }

    /** Whether a dial to {@code a} has a path: a direct address this socket can use, or a relay. */
    private boolean usable(EndpointAddr a) {
        return dialer.pickDirect(a) != null || (relays.attached() && a.relayUrl().isPresent());
    }

    /** A later discovery result: its addresses become candidate paths of a peer being dialed. */
    private void learnPublished(EndpointAddr a) {
        PathTable.Peer p = paths.byId(a.id());
        if (p != null) {
            a.relayUrl().ifPresent(u -> {
                if (p.relayUrl == null) {
                    p.relayUrl = u;
                }
            });
            List<InetSocketAddress> direct = a.directAddresses();
            onLoop(() -> pathLayer.published(p, direct));
        }
    }

    /** Datagrams dropped so far (unroutable, no path, queues full). */
    long droppedDatagrams() {
        return dropped.sum();
    }

    @Override
    public CompletionStage<Connection> connect(EndpointId id, String alpn) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(alpn, "alpn");
        if (!discoveries.isEmpty()) {
            return new AddressLookup(lookupHost, lookupTimeout, id, alpn).start();
        }
        if (relays.attached()) {
            return connect(EndpointAddr.of(id), alpn); // through our home relay: the peer may be there too
        }
        return CompletableFuture.failedFuture(new QuiverException("Cannot connect to " + id.shortString()
                + " by id alone: no discovery is available yet; connect with a ticket (EndpointAddr) instead"));
    }

    @Override
    public CompletionStage<Connection> connect(EndpointAddr target, String alpn) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(alpn, "alpn");
        if (closing.get()) {
            return CompletableFuture.failedFuture(new QuiverException("The endpoint is closed"));
        }
        if (target.id().equals(identity.id())) {
            return CompletableFuture.failedFuture(new QuiverException("Cannot connect to this endpoint itself"));
        }
        return dialer.dial(target, alpn);
    }

    /**
     * Moves the traffic of the connections to {@code peer} onto another real address now. The QUIC connections
     * do not notice: they keep talking to the same mapped address. The address becomes a candidate path; the
     * path layer moves the traffic again when probes show a better one (or this one cannot carry it).
     */
    void switchPath(EndpointId peer, InetSocketAddress real) {
        for (QuicConnectionImpl c : connections.all()) {
            if (c.remoteId().equals(peer)) {
                PathTable.Peer p = c.peer();
                if (p != null) {
                    onLoop(() -> {
                        pathLayer.forced(p, real);
                        paths.switchPath(p, new PathAddr.Direct(real));
                    });
                    c.pathValue().set(QuicConnectionImpl.direct(real));
                }
            }
        }
    }

    /**
     * Serves {@code alpn} with {@code handler}, replacing any other handler of it. Connections that arrive from
     * now on may negotiate it; live connections are not touched.
     */
    public void addHandler(String alpn, ProtocolHandler handler) {
        acceptor.addHandler(alpn, handler);
    }

    /** Stops serving {@code alpn} if {@code handler} serves it; new connections with it are refused in the handshake. */
    public void removeHandler(String alpn, ProtocolHandler handler) {
        acceptor.removeHandler(alpn, handler);
    }

    @Override
    public Collection<Connection> connections() {
        return List.copyOf(connections.all());
    }

    private void track(QuicConnectionImpl conn) {
        connections.track(conn);
    }

    @Override
    public CompletionStage<Void> closeAsync() {
        if (!closing.compareAndSet(false, true)) {
            return closed;
        }
        List<CompletableFuture<CloseInfo>> closing = connections.closeAll("endpoint closing");
        CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0]))
                .completeOnTimeout(null, DRAIN.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> {
                    // each step on its own: one that fails must not leave the loop, the pool or the port behind
                    quietly(() -> relay(null));
                    quietly(outbox::close);
                    quietly(udp::close);
                    quietly(serverSide::close);
                    quietly(clientSide::close);
                    quietly(() -> Outbox.runLeftOver(handlerPool.shutdownNow()));
                    quietly(addr::close);
                    quietly(bound::close);
                    group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).addListener(f -> closed.complete(null));
                });
        return closed;
    }

    /** Peers of unvalidated senders pushed out by newer ones (a flood of Initials). */
    long unvalidatedEvicted() {
        return onLoopGet(paths::evicted);
    }

    <T> T onLoopGet(java.util.concurrent.Callable<T> read) {
        try {
            return loop.inEventLoop() ? read.call() : loop.submit(read).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("The endpoint's loop did not answer: " + e, e);
        }
    }

    private volatile java.util.Set<EndpointId> allowed = java.util.Set.of();
    /** Connections refused because their peer was not on the allow-list. */

    @Override
    public java.util.Set<EndpointId> allowed() {
        return allowed;
    }

    /**
     * Allows only {@code peers} to connect from now on (empty: anyone). Connections that are up stay; every
     * handshake that completes after this call is checked against the new list.
     */
    public void allow(java.util.Collection<EndpointId> peers) {
        allowed = java.util.Set.copyOf(peers);
    }

    /** Connections refused so far because their peer was not allowed. */
    long notAllowedCount() {
        return acceptor.notAllowed.sum();
    }

    /** Periodic tasks that threw (each run is caught: netty never runs a fixed-rate task again once it threw). */
    final LongAdder periodicFailures = new LongAdder();

    /** Runs {@code task} on the loop every {@code periodNanos}; a run that throws is counted, and the next one runs. */
    private void periodic(Runnable task, long periodNanos) {
        loop.scheduleAtFixedRate(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                periodicFailures.increment();
            }
        }, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    private static void quietly(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            // closing goes on
        }
    }

    @Override
    public void close() {
        try {
            closeAsync().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("The endpoint did not close within 5 s", e);
        }
    }

    @Override
    public String toString() {
        return "QuicEndpoint{" + identity.id().shortString() + " at " + udp.localAddress() + "}";
    }
}
