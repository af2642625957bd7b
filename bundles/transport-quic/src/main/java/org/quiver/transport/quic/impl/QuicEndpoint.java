package org.quiver.transport.quic.impl;

import org.quiver.transport.quic.impl.CandidateSet.Candidate;
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
    static final AttributeKey<EndpointId> EXPECTED_ID = AttributeKey.valueOf("quiver.expectedId");
    static final AttributeKey<String> DIAL_ALPN = AttributeKey.valueOf("quiver.dialAlpn");
    /** Streams that arrived before their connection's {@link QuicConnectionImpl} existed. */
    static final AttributeKey<java.util.ArrayDeque<QuicStreamChannel>> EARLY_STREAMS = AttributeKey.valueOf("quiver.earlyStreams");
    /** How long a closing endpoint waits for peers to see its close before it aborts. */
    static final Duration DRAIN = Duration.ofMillis(250);
    private static final long SWEEP_SECONDS = 5;
    /** UDP payload limit both ways: a 1500-byte MTU less IPv4 and UDP headers. */
    static final int MAX_UDP_PAYLOAD = 1472;

    private final LocalIdentity identity;
    private final Map<String, ProtocolHandler> handlers;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Channel udp;
    private final VirtualChannel serverSide;
    private final VirtualChannel clientSide;
    private final PathTable paths;
    private final PathLayer pathLayer;
    private final Outbox outbox;
    private final Metrics metrics = new Metrics();
    /** Where structured events go (EventAdmin in OSGi); never null. */
    private final java.util.function.BiConsumer<String, Map<String, Object>> events;
    private final Set<ByteBufKey> liveClientIds = ConcurrentHashMap.newKeySet();
    /** Dialed connections not yet confirmed by the server: they defer an application close (see {@link Unconfirmed}). */
    private final Unconfirmed unconfirmed = new Unconfirmed();
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
    private final Set<QuicConnectionImpl> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, QuicSslContext> clientContexts = new ConcurrentHashMap<>();
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
    private final Reflexive reflexive;
    private final List<InetSocketAddress> stunServers;
    private volatile List<InetSocketAddress> interfaceAddresses = List.of();
    /**
     * TLS for accepted connections, offering the ALPNs of the current handlers; null when they changed since
     * it was made, and then made again (once) by the next handshake rather than at every change.
     */
    private QuicSslContext serverTls;

    private QuicEndpoint(Builder b) throws QuiverException {
        this.identity = b.identity;
        this.handlers = new ConcurrentHashMap<>(b.handlers);
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
        this.stunServers = b.stunServers;
        this.reflexive = new Reflexive((to, datagram) -> udp().writeAndFlush(new DatagramPacket(io.netty.buffer.Unpooled.wrappedBuffer(datagram), to)),
                this::reflexiveChanged);
        pathLayer.stun((from, d) -> reflexive.onMessage(from, d, paths.now()));
        pathLayer.ownFlags(this::natFlags);
        pathLayer.relayCarries(this::relayCarries);
        pathLayer.fan(this::openFan);
        pathLayer.punches(new PathLayer.Punches() {
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
        this.events = b.events;
        this.outbox = new Outbox(b.pending, b.ticker, this::reuseOrConnect, pool, (key, p, reason) -> {
            if (reason == BoundedPendingBuffer.Reason.OVERFLOW) {
                metrics.get().bufferDropped(p.data().length);
            } else if (reason == BoundedPendingBuffer.Reason.EXPIRED) {
                metrics.get().bufferExpired(p.data().length);
            }
            event(org.quiver.api.EventTopics.BUFFER_DROPPED,
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
        this.router = new Router(paths, pathLayer, serverSide, clientSide, liveClientIds, unconfirmed, rebinding, dropped, metrics,
                punch::arriving);
        this.relays = new RelayTransport(new RelayTransport.Host() {
            @Override
            public EndpointId localId() {
                return identity.id();
            }

            @Override
            public byte[] sign(byte[] challenge) {
                return identity.sign(challenge);
            }

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
        }, paths, router, dropped, metrics);
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
            serverSide.pipeline().addLast(serverCodec(b));
            clientSide.pipeline().addLast(clientCodec(b));
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
            reflexive.tick(now);
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
        this.interfaceAddresses = directAddresses(local);
        this.addr = new WatchableValue<>("own address", EndpointAddr.of(identity.id(), null, interfaceAddresses));
        if (stunServers != null) {
            resolveStunServers(stunServers);
        }
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
    private void sendControl(InetSocketAddress to, byte[] datagram) {
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
        if (addr.isClosed()) {
            return;
        }
        // whoever updates last sets the home relay as it is then, so racing changes end on the latest one
        try {
            addr.update(a -> a.withRelayUrl(relays.home()));
        } catch (org.quiver.api.WatchableClosedException closed) {
            return; // the endpoint closed meanwhile
        }
        if (stunServers == null) {
            autoStunServers();
        }
        publish(null);
        event(org.quiver.api.EventTopics.RELAY_HOME_CHANGED, org.quiver.api.EventTopics.RELAY_URL, home == null ? null : home.toString(),
                org.quiver.api.EventTopics.PREVIOUS, previous == null ? null : previous.toString());
    }

    /** Our NAT as STUN saw it, for calls. */
    private int natFlags() {
        int flags = reflexive.mappingVaries() ? Probe.FLAG_HARD : 0;
        List<InetSocketAddress> seen = reflexive.addresses();
        if (!seen.isEmpty()) {
            boolean own = false;
            for (InetSocketAddress r : seen) {
                for (InetSocketAddress i : interfaceAddresses) {
                    own |= i.getAddress().equals(r.getAddress());
                }
            }
            flags |= own ? 0 : Probe.FLAG_NATED;
        }
        return flags;
    }

    private EndpointAddr ownAddress() {
        return addr.get();
    }

    /**
     * STUN at each relay's host, ports {@value Builder#STUN_PORT} and the one above (the default when no servers were
     * configured): two destinations, so a NAT that maps per destination shows.
     */
    private void autoStunServers() {
        List<InetSocketAddress> auto = new ArrayList<>();
        for (org.quiver.api.RelayStatus r : relays()) {
            String host = r.url().getHost();
            if (host != null) {
                String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
                auto.add(InetSocketAddress.createUnresolved(h, Builder.STUN_PORT));
                auto.add(InetSocketAddress.createUnresolved(h, Builder.STUN_PORT + 1)); // its second port: is our mapping per destination?
            }
        }
        resolveStunServers(auto);
    }

    /** Resolves host names on a pool thread (never the loop), then asks the servers of the socket's family. */
    private void resolveStunServers(List<InetSocketAddress> servers) {
        if (closing.get()) {
            return;
        }
        try {
            handlerPool.execute(() -> {
                List<InetSocketAddress> resolved = new ArrayList<>();
                for (InetSocketAddress s : servers) {
                    InetSocketAddress r = s.isUnresolved() ? new InetSocketAddress(s.getHostString(), s.getPort()) : s;
                    if (!r.isUnresolved() && pathLayer.reachable(r) && !resolved.contains(r)) {
                        resolved.add(r);
                    }
                }
                onLoop(() -> reflexive.servers(resolved));
            });
        } catch (java.util.concurrent.RejectedExecutionException closingOrBusy) {
            // closing, or a thousand tasks queued: the next home change tries again
        }
    }

    /** Loop: the reflexive addresses changed; they lead the own address's direct addresses, and peers hear of them. */
    private void reflexiveChanged(List<InetSocketAddress> found) {
        if (addr.isClosed()) {
            return;
        }
        java.util.LinkedHashSet<InetSocketAddress> all = new java.util.LinkedHashSet<>(found);
        all.addAll(interfaceAddresses);
        List<InetSocketAddress> list = new ArrayList<>(all);
        addr.update(a -> a.withDirectAddresses(list.subList(0, Math.min(list.size(), EndpointAddr.MAX_DIRECT_ADDRESSES))));
        if (!reflexive.mappingVaries()) {
            // a new address peers may reach: punch again. Behind a NAT that maps per destination the ports
            // STUN sees change whenever a mapping expires and say nothing to peers: no new rounds for that
            pathLayer.ownCandidatesChanged(paths.now());
        }
        try {
            handlerPool.execute(() -> publish(null)); // signing takes a millisecond: not on the loop
        } catch (java.util.concurrent.RejectedExecutionException closingOrBusy) {
            // closing, or busy: the half-hourly publication carries it
        }
    }

    /** The reflexive addresses STUN servers reported for the socket, and whether the NAT maps per destination. */
    List<InetSocketAddress> reflexiveAddresses() {
        return reflexive.addresses();
    }

    @Override
    public List<org.quiver.api.RelayStatus> relays() {
        return relays.status();
    }



    /**
     * The addresses others may reach the socket at: itself, or for a wildcard bind every up interface's
     * address of its family (non-loopback first), at most {@link EndpointAddr#MAX_DIRECT_ADDRESSES}.
     */
    static List<InetSocketAddress> directAddresses(InetSocketAddress local) {
        if (!local.getAddress().isAnyLocalAddress()) {
            return List.of(local);
        }
        boolean v6 = local.getAddress() instanceof java.net.Inet6Address;
        List<InetSocketAddress> found = new ArrayList<>();
        List<InetSocketAddress> loopback = new ArrayList<>();
        try {
            for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (java.net.InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                    if ((a instanceof java.net.Inet6Address) != v6 && !v6 || a.isLinkLocalAddress()) {
                        continue;
                    }
                    (a.isLoopbackAddress() ? loopback : found).add(new InetSocketAddress(a, local.getPort()));
                }
            }
        } catch (java.net.SocketException e) {
            return List.of();
        }
        found.addAll(loopback);
        return found.subList(0, Math.min(found.size(), EndpointAddr.MAX_DIRECT_ADDRESSES));
    }

    /** A builder for an endpoint of {@code identity}. */
    public static Builder builder(LocalIdentity identity) {
        return new Builder(identity);
    }

    private Channel udp() {
        return udp;
    }

    private ChannelHandler serverCodec(Builder b) {
        QuicServerCodecBuilder builder = new QuicServerCodecBuilder()
                .sslEngineProvider(ch -> serverTls().newEngine(ch.alloc()))
                .tokenHandler(new RetryTokens(b.clock, mapped -> {
                    // a peer that proved its id keeps its mapped address whatever path it takes (its selected path
                    // may change between the Retry and the Initial that answers it); an unvalidated one is its one
                    // real address (its mapped address changes if it was pushed out meanwhile)
                    PathTable.Peer p = paths.byMapped(mapped);
                    return p == null || p.id != null ? mapped : p.real;
                }))
                .connectionIdAddressGenerator(ConnectionIds.serverGenerator())
                .localConnectionIdLength(ConnectionIds.LENGTH)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel ch) {
                        ch.pipeline().addLast(new AcceptedConnection());
                    }
                })
                .streamOption(ChannelOption.AUTO_READ, false)
                .streamHandler(new IncomingStreams());
        return transportParameters(builder, b).build();
    }

    private ChannelHandler clientCodec(Builder b) {
        QuicClientCodecBuilder builder = new QuicClientCodecBuilder()
                .sslEngineProvider(ch -> clientContexts.computeIfAbsent(ch.attr(DIAL_ALPN).get(), alpn -> Tls.client(identity, alpn))
                        .newEngine(ch.alloc(), ch.attr(EXPECTED_ID).get().toString(), 1))
                .localConnectionIdLength(ConnectionIds.LENGTH);
        return transportParameters(builder, b).build();
    }

    private static <B extends io.netty.handler.codec.quic.QuicCodecBuilder<B>> B transportParameters(B builder, Builder b) {
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
    private void event(String topic, Object... keyValues) {
        Map<String, Object> props = new java.util.HashMap<>();
        props.put(org.quiver.api.EventTopics.ENDPOINT_ID, identity.id().toString());
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                props.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        try {
            events.accept(topic, props);
        } catch (RuntimeException e) {
            // an event sink's failure is not the transport's
        }
    }

    private void connectionEvent(String topic, QuicConnectionImpl c, CloseInfo close) {
        PathInfo path = c.path().get();
        event(topic, org.quiver.api.EventTopics.PEER_ID, c.remoteId().toString(), org.quiver.api.EventTopics.ALPN, c.alpn(),
                org.quiver.api.EventTopics.DIALER, c.isDialer(), org.quiver.api.EventTopics.PATH, path.remote(),
                org.quiver.api.EventTopics.PATH_KIND, path.kind().name(),
                org.quiver.api.EventTopics.CAUSE, close == null ? null : close.cause().name(),
                org.quiver.api.EventTopics.CODE, close == null ? null : close.code(),
                org.quiver.api.EventTopics.REASON, close == null ? null : close.reason());
    }

    /** Runs {@code task} on the event loop; once the endpoint has closed there is nothing left to do. */
    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the loop has stopped: the endpoint is closed
        }
    }

    /** Event loop: the path layer moved {@code peer}; its connections report the new path. */
    private void pathChanged(PathTable.Peer peer, CandidateSet.Candidate<InetSocketAddress> previous,
                             CandidateSet.Candidate<InetSocketAddress> selected) {
        metrics.get().pathSwitched(previous == null ? selected.kind() : previous.kind(), selected.kind());
        PathInfo info = new PathInfo(selected.kind(), selected.remote(),
                selected.rttNanos() < 0 ? java.util.Optional.empty() : java.util.Optional.of(Duration.ofNanos(selected.rttNanos())));
        for (QuicConnectionImpl c : peer.connections) {
            c.pathValue().set(info);
        }
        event(org.quiver.api.EventTopics.PATH_CHANGED, org.quiver.api.EventTopics.PEER_ID, peer.id == null ? null : peer.id.toString(),
                org.quiver.api.EventTopics.PATH, selected.remote(), org.quiver.api.EventTopics.PATH_KIND, selected.kind().name(),
                org.quiver.api.EventTopics.RTT_NANOS, selected.rttNanos() < 0 ? null : selected.rttNanos());
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
        for (QuicConnectionImpl c : connections) {
            if (c.isDialer() && c.remoteId().equals(to.id()) && c.alpn().equals(alpn) && !c.closed().toCompletableFuture().isDone()) {
                return CompletableFuture.completedFuture(c);
            }
        }
        return connect(to, alpn);
    }

    // ---- discovery ----

    /** The discovery providers in use, with their names. */
    private final Map<org.quiver.spi.discovery.Discovery, String> discoveries = new ConcurrentHashMap<>();

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

    /**
     * One lookup by id: every provider at once, results merged as they come; the first result that gives a
     * usable path starts the dial, later ones add candidate paths. Bounded by {@link Builder#lookupTimeout};
     * then (or when every provider is done without a result) the home relay is tried, or the dial fails
     * saying what each provider answered.
     */
    private final class Resolution implements Runnable {
        private final EndpointId id;
        private final String alpn;
        private final CompletableFuture<Connection> result = new CompletableFuture<>();
        private final List<org.quiver.spi.discovery.Lookup> lookups = new ArrayList<>();
        private final Map<String, String> outcomes = new java.util.LinkedHashMap<>();
        private final long started = System.nanoTime();
        private EndpointAddr merged;
        private int pending;
        private boolean dialing;
        private boolean over;

        Resolution(EndpointId id, String alpn) {
            this.id = id;
            this.alpn = alpn;
            this.merged = EndpointAddr.of(id);
        }

        CompletionStage<Connection> start() {
            Map<org.quiver.spi.discovery.Discovery, String> providers = Map.copyOf(discoveries);
            synchronized (this) {
                pending = providers.size();
                providers.values().forEach(n -> outcomes.put(n, "no answer"));
            }
            for (Map.Entry<org.quiver.spi.discovery.Discovery, String> e : providers.entrySet()) {
                String name = e.getValue();
                try {
                    org.quiver.spi.discovery.Lookup l = e.getKey().resolve(id, new Listener(name));
                    synchronized (this) {
                        if (l != null) {
                            lookups.add(l);
                        }
                    }
                } catch (RuntimeException | Error ex) {
                    done(name, "failed: " + ex);
                }
            }
            try {
                loop.schedule(this, lookupTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                result.completeExceptionally(new QuiverException("The endpoint is closed"));
            }
            result.whenComplete((c, e) -> cancelAll());
            return result;
        }

        /** The timeout. */
        @Override
        public void run() {
            synchronized (this) {
                if (over || dialing) {
                    return;
                }
            }
            giveUp("no usable result within " + lookupTimeout.toMillis() + " ms");
        }

        private void cancelAll() {
            List<org.quiver.spi.discovery.Lookup> all;
            synchronized (this) {
                over = true;
                all = List.copyOf(lookups);
            }
            for (org.quiver.spi.discovery.Lookup l : all) {
                try {
                    l.cancel();
                } catch (RuntimeException e) {
                    // its own problem
                }
            }
        }

        void found(String name, org.quiver.spi.discovery.DiscoveryItem item) {
            String problem = null;
            if (item == null || item.addr() == null) {
                problem = "gave an empty result";
            } else if (!item.addr().id().equals(id)) {
                problem = "gave a result about " + item.addr().id().shortString();
            } else if (!item.configured()
                    && item.updated().isBefore(clock.instant().minus(org.quiver.spi.discovery.EndpointRecord.DEFAULT_MAX_AGE))) {
                problem = "gave a stale result (" + item.updated() + ")";
            }
            EndpointAddr dial = null;
            EndpointAddr more = null;
            synchronized (this) {
                if (over) {
                    return;
                }
                if (problem != null) {
                    outcomes.put(name, problem);
                    return;
                }
                outcomes.put(name, "found " + item.addr() + " in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
                merged = merged.merge(item.addr());
                if (!dialing && usable(merged)) {
                    dialing = true;
                    dial = merged;
                } else if (dialing) {
                    more = merged;
                }
            }
            metrics.get().discoveryLookup(name, Duration.ofNanos(System.nanoTime() - started), true);
            if (dial != null) {
                connect(dial, alpn).whenComplete((c, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(c);
                    }
                });
            } else if (more != null) {
                learnPublished(more);
            }
        }

        void done(String name, String outcome) {
            boolean allDone;
            synchronized (this) {
                if (outcome != null && "no answer".equals(outcomes.get(name))) {
                    outcomes.put(name, outcome);
                }
                allDone = --pending <= 0 && !dialing && !over;
            }
            if (outcome != null && outcome.startsWith("failed")) {
                metrics.get().discoveryLookup(name, Duration.ofNanos(System.nanoTime() - started), false);
            }
            if (allDone) {
                giveUp("every provider answered");
            }
        }

        private void giveUp(String why) {
            String summary;
            synchronized (this) {
                if (over || dialing) {
                    return;
                }
                if (relays.attached() && relays.home() != null) {
                    dialing = true; // nobody knows more: try our home relay, where the peer may be too
                } else {
                    over = true;
                }
                summary = outcomes.toString();
            }
            if (dialing) {
                connect(EndpointAddr.of(id), alpn).whenComplete((c, e) -> {
                    if (e != null) {
                        result.completeExceptionally(new QuiverException("Cannot reach " + id.shortString() + ": discovery found nothing usable ("
                                + why + "; " + summary + ") and the home relay did not reach it: " + e.getMessage(), e));
                    } else {
                        result.complete(c);
                    }
                });
                return;
            }
            result.completeExceptionally(new QuiverException("Cannot find " + id.shortString() + ": " + why + "; " + summary));
        }

        private final class Listener implements org.quiver.spi.discovery.DiscoveryListener {
            private final String name;
            private final AtomicBoolean finished = new AtomicBoolean();

            Listener(String name) {
                this.name = name;
            }

            @Override
            public void found(org.quiver.spi.discovery.DiscoveryItem item) {
                if (!finished.get()) {
                    Resolution.this.found(name, item);
                }
            }

            @Override
            public void completed() {
                if (finished.compareAndSet(false, true)) {
                    done(name, "nothing found");
                }
            }

            @Override
            public void failed(Throwable cause) {
                if (finished.compareAndSet(false, true)) {
                    done(name, "failed: " + cause);
                }
            }
        }
    }

    /** Whether a dial to {@code a} has a path: a direct address this socket can use, or a relay. */
    private boolean usable(EndpointAddr a) {
        return pickDirect(a) != null || (relays.attached() && a.relayUrl().isPresent());
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
            return new Resolution(id, alpn).start();
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
        InetSocketAddress direct = pickDirect(target);
        boolean linked = relays.attached();
        java.net.URI home = relays.home();
        boolean relayPossible = linked && (target.relayUrl().isPresent() || home != null);
        if (direct == null && !relayPossible) {
            return CompletableFuture.failedFuture(new QuiverException("No direct address of " + target.id().shortString()
                    + " that this endpoint can reach, and " + (!linked ? "no relay provider" : "no relay connected")
                    + ": " + target.directAddresses()));
        }
        // a peer that names a relay is dialed through it (that works behind any NAT); its direct addresses are
        // probed at once and the connection moves to one as soon as it answers; the handshake moves too when the
        // relay is not connected (down or restarting: it does not hold the dial up)
        boolean viaRelay = relayPossible && (direct == null || target.relayUrl().isPresent());
        PathTable.Peer peer = paths.forDial(target.id(), viaRelay ? null : direct);
        if (target.relayUrl().isPresent()) {
            peer.relayUrl = target.relayUrl().get();
        } else if (viaRelay && peer.relayUrl == null) {
            peer.dialedVia = home; // by id alone: through our home relay (wherever it is then), where we hope the peer is too
        }
        InetSocketAddress real = viaRelay ? peer.relay : direct;
        List<InetSocketAddress> published = target.directAddresses();
        onLoop(() -> pathLayer.dialing(peer, published, real, relayPossible));
        byte[] cid = ConnectionIds.newClientId();
        ByteBufKey key = new ByteBufKey(cid);
        liveClientIds.add(key);
        unconfirmed.dialing(key);
        CompletableFuture<Connection> result = new CompletableFuture<>();
        QuicChannel.newBootstrap(clientSide)
                .attr(EXPECTED_ID, target.id())
                .attr(DIAL_ALPN, alpn)
                .handler(new Dialing())
                .streamOption(ChannelOption.AUTO_READ, false)
                .streamHandler(new IncomingStreams())
                .remoteAddress(peer.mapped)
                .localConnectionAddress(new QuicConnectionAddress(cid))
                .connect()
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        liveClientIds.remove(key);
                        unconfirmed.remove(key);
                        result.completeExceptionally(Futures.failure("Connect to " + target.id().shortString() + " at " + real, f.cause()));
                        return;
                    }
                    QuicChannel ch = (QuicChannel) f.getNow();
                    InetSocketAddress now = peer.real; // the handshake may have left the relay for a direct path that answered
                    QuicConnectionImpl conn = new QuicConnectionImpl(ch, peer, target.id(), true,
                            QuicConnectionImpl.info(now != null ? now : real, peer), dropped);
                    unconfirmed.connected(key, conn);
                    ch.closeFuture().addListener(c -> {
                        liveClientIds.remove(key);
                        unconfirmed.remove(key);
                    });
                    ch.pipeline().replace(Dialing.class, "connection", conn);
                    track(conn);
                    result.complete(conn);
                });
        return result;
    }

    private InetSocketAddress pickDirect(EndpointAddr target) {
        boolean v6Socket = localAddress().getAddress() instanceof java.net.Inet6Address;
        for (InetSocketAddress a : target.directAddresses()) {
            if (v6Socket || a.getAddress() instanceof java.net.Inet4Address) {
                return a;
            }
        }
        return null;
    }

    /**
     * Moves the traffic of the connections to {@code peer} onto another real address now. The QUIC connections
     * do not notice: they keep talking to the same mapped address. The address becomes a candidate path; the
     * path layer moves the traffic again when probes show a better one (or this one cannot carry it).
     */
    void switchPath(EndpointId peer, InetSocketAddress real) {
        for (QuicConnectionImpl c : connections) {
            if (c.remoteId().equals(peer)) {
                PathTable.Peer p = c.peer();
                if (p != null) {
                    onLoop(() -> {
                        pathLayer.forced(p, real);
                        paths.switchPath(p, real);
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
    public synchronized void addHandler(String alpn, ProtocolHandler handler) {
        Builder.checkAlpn(alpn);
        handlers.put(alpn, Objects.requireNonNull(handler, "handler"));
        serverTls = null;
    }

    /** Stops serving {@code alpn} if {@code handler} serves it; new connections with it are refused in the handshake. */
    public synchronized void removeHandler(String alpn, ProtocolHandler handler) {
        if (handlers.remove(alpn, handler)) {
            serverTls = null;
        }
    }

    private synchronized QuicSslContext serverTls() {
        if (serverTls == null) {
            serverTls = Tls.server(identity, alpns(handlers));
        }
        return serverTls;
    }

    /** The ALPNs to offer; with no handler, one that no client asks for, so that every handshake is refused. */
    private static String[] alpns(Map<String, ProtocolHandler> handlers) {
        return handlers.isEmpty() ? new String[] {"quiver/no-handler"} : handlers.keySet().toArray(new String[0]);
    }

    @Override
    public Collection<Connection> connections() {
        return List.copyOf(connections);
    }

    private void track(QuicConnectionImpl conn) {
        connections.add(conn);
        PathTable.Peer p = conn.peer();
        if (p != null) {
            p.users.incrementAndGet();
            p.connections.add(conn);
            onLoop(() -> pathLayer.reselect(p)); // the handshake is done: the path may move now
        }
        org.quiver.api.PathKind kind = conn.path().get().kind();
        metrics.get().connectionOpened(kind, conn.isDialer());
        connectionEvent(org.quiver.api.EventTopics.CONNECTION_OPENED, conn, null);
        conn.closed().whenComplete((info, e) -> {
            metrics.get().connectionClosed(kind);
            connectionEvent(org.quiver.api.EventTopics.CONNECTION_CLOSED, conn, info != null ? info : new CloseInfo(CloseInfo.Cause.LOCAL, 0, String.valueOf(e)));
        });
        conn.channel().closeFuture().addListener(f -> {
            connections.remove(conn);
            if (p != null) {
                p.connections.remove(conn);
                p.users.decrementAndGet();
                p.touch();
            }
        });
        if (closing.get()) {
            conn.close(CloseInfo.Cause.ENDPOINT_CLOSED, 0, "endpoint closing");
        }
    }

    @Override
    public CompletionStage<Void> closeAsync() {
        if (!closing.compareAndSet(false, true)) {
            return closed;
        }
        List<CompletableFuture<CloseInfo>> closing = new ArrayList<>();
        for (QuicConnectionImpl c : connections) {
            c.close(CloseInfo.Cause.ENDPOINT_CLOSED, 0, "endpoint closing");
            closing.add(c.closed().toCompletableFuture());
        }
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
    final LongAdder notAllowed = new LongAdder();

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
        return notAllowed.sum();
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

    /** Handler of a dialed connection until its handshake completes: a failed handshake fails the dial, no more. */
    private static final class Dialing extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // reported through the connect future
        }
    }

    /** Handler of an accepted connection until its handshake completes; then the connection's own. */
    private final class AcceptedConnection extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            QuicChannel ch = (QuicChannel) ctx.channel();
            PathTable.Peer peer = paths.byMapped((InetSocketAddress) ch.remoteSocketAddress());
            EndpointId id = Tls.peerId(ch.sslEngine());
            if (peer != null) {
                paths.identified(peer, id);
                if (peer.real != null && paths.byId(id) == peer) {
                    pathLayer.accepted(peer, peer.real);
                }
            }
            QuicConnectionImpl conn = new QuicConnectionImpl(ch, peer, id, false,
                    QuicConnectionImpl.info(peer != null && peer.real != null ? peer.real : PathTable.LOCAL, peer), dropped);
            ctx.pipeline().replace(this, "connection", conn);
            track(conn);
            java.util.Set<EndpointId> allow = allowed;
            if (!allow.isEmpty() && !allow.contains(id)) {
                // before any handler or stream: the peer learns why from the close reason
                notAllowed.increment();
                conn.close(CloseInfo.Cause.LOCAL, 0x104, org.quiver.api.Endpoint.NOT_ALLOWED);
                return;
            }
            if (peer != null && peer.users.get() > maxConnectionsPerPeer) {
                conn.close(CloseInfo.Cause.LOCAL, 0x103, "too many connections from one peer (" + maxConnectionsPerPeer + ")");
                return;
            }
            ProtocolHandler handler = handlers.get(conn.alpn());
            if (handler == null) {
                conn.close(CloseInfo.Cause.LOCAL, 0x100, "no handler for ALPN " + conn.alpn());
                return;
            }
            try {
                handlerPool.execute(() -> {
                    try {
                        handler.accept(conn);
                    } catch (Exception | Error e) {
                        conn.close(CloseInfo.Cause.LOCAL, 0x101, "handler failed: " + e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                conn.close(CloseInfo.Cause.LOCAL, 0x102, "too many connections waiting for a handler");
            }
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a handshake that failed (refused ALPN, bad certificate): the peer is told by TLS; nothing to log
        }
    }

    /** Puts each stream the peer opens into its connection's accept queue. */
    @ChannelHandler.Sharable
    private static final class IncomingStreams extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
            ctx.pipeline().remove(this);
            QuicConnectionImpl conn = stream.parent().attr(QuicConnectionImpl.KEY).get();
            if (conn != null) {
                conn.incoming(stream);
                return;
            }
            // The peer may open a stream in the same flight that completes the handshake, before this side
            // has made its Connection: park it (bounded) until then.
            java.util.ArrayDeque<QuicStreamChannel> early = stream.parent().attr(EARLY_STREAMS).setIfAbsent(new java.util.ArrayDeque<>());
            if (early == null) {
                early = stream.parent().attr(EARLY_STREAMS).get();
            }
            if (early.size() < QuicConnectionImpl.MAX_PENDING_STREAMS) {
                stream.config().setAutoRead(false);
                early.add(stream);
            } else {
                stream.shutdown(2);
            }
        }
    }

    /** Settings for a {@link QuicEndpoint}. */
    public static final class Builder {
        private final LocalIdentity identity;
        private final Map<String, ProtocolHandler> handlers = new java.util.LinkedHashMap<>();
        private InetSocketAddress bind = new InetSocketAddress(0);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private int maxPeers = 10_000;
        private int maxConnectionsPerPeer = 256;
        private int maxStreams = 1000;
        private int handlerThreads = 64;
        private CandidateSet.Timings timings = CandidateSet.Timings.DEFAULT;
        private org.quiver.spi.path.PathSelector selector;
        private BoundedPendingBuffer.Limits pending = BoundedPendingBuffer.Limits.DEFAULT;
        private java.util.function.BiConsumer<String, Map<String, Object>> events = (topic, props) -> { };
        private org.quiver.spi.metrics.TransportMetrics metrics;
        private org.quiver.spi.relay.RelayProvider relay;
        private Duration lookupTimeout = Duration.ofSeconds(10);
        private List<InetSocketAddress> stunServers;
        private java.time.Clock clock = java.time.Clock.systemUTC();
        private java.util.function.LongSupplier ticker = System::nanoTime;
        private final Map<org.quiver.spi.discovery.Discovery, String> discoveries = new java.util.LinkedHashMap<>();

        private Builder(LocalIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
        }

        public Builder bind(InetSocketAddress address) {
            this.bind = Objects.requireNonNull(address, "address");
            return this;
        }

        /** Accepts connections with {@code alpn}, handing them to {@code handler}. */
        public Builder handler(String alpn, ProtocolHandler handler) {
            checkAlpn(alpn);
            handlers.put(alpn, Objects.requireNonNull(handler, "handler"));
            return this;
        }

        static void checkAlpn(String alpn) {
            if (alpn == null || alpn.isEmpty() || alpn.length() > 255) {
                throw new IllegalArgumentException("An ALPN is 1 to 255 characters, got '" + alpn + "'");
            }
        }

        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("idle timeout must be positive");
            }
            this.idleTimeout = timeout;
            return this;
        }

        public Builder maxPeers(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxPeers must be at least 1");
            }
            this.maxPeers = max;
            return this;
        }

        /**
         * How often working paths are probed (default 2 s); unknown and dead ones are retried every 2.5
         * intervals, and a path that has not answered for 3.25 intervals is left.
         */
        public Builder probeInterval(Duration interval) {
            if (interval.toMillis() < 20) {
                throw new IllegalArgumentException("the probe interval must be at least 20 ms, got " + interval);
            }
            this.timings = CandidateSet.Timings.ofHeartbeat(interval.toNanos());
            return this;
        }

        /** Limits of what {@link QuicEndpoint#send} holds while connections come up (default: {@code Limits.DEFAULT}). */
        public Builder pendingLimits(BoundedPendingBuffer.Limits limits) {
            this.pending = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Where the endpoint posts its structured events ({@link org.quiver.api.EventTopics}): topic and
         * properties; called on the event loop, so it must not block (EventAdmin's postEvent does not).
         */
        public Builder events(java.util.function.BiConsumer<String, Map<String, Object>> sink) {
            this.events = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /** Where the endpoint reports its metrics (default: nowhere). */
        public Builder metrics(org.quiver.spi.metrics.TransportMetrics m) {
            this.metrics = m;
            return this;
        }

        /** How long a dial by id waits for discovery results before it gives up (default 10 s). */
        public Builder lookupTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the lookup timeout must be positive, got " + timeout);
            }
            this.lookupTimeout = timeout;
            return this;
        }

        /** A discovery provider to start with, called {@code name} (more can come and go: {@link QuicEndpoint#addDiscovery}). */
        public Builder discovery(org.quiver.spi.discovery.Discovery provider, String name) {
            discoveries.put(Objects.requireNonNull(provider, "provider"), Objects.requireNonNull(name, "name"));
            return this;
        }

        /** The relay provider to start with (default: none; {@link QuicEndpoint#relay} changes it later). */
        public Builder relay(org.quiver.spi.relay.RelayProvider provider) {
            this.relay = provider;
            return this;
        }

        /** The path policy to start with (default: none, which holds each peer on a working path, see {@link HoldingSelector}; the path bundle's {@code DefaultPathSelector} is the policy a node uses). */
        public Builder pathSelector(org.quiver.spi.path.PathSelector selector) {
            this.selector = selector;
            return this;
        }

        /**
         * Connections accepted from one remote socket address at once (default 256); more are closed right
         * after their handshake with code 0x103, so one sender cannot hold unbounded state.
         */
        /** Only {@code peers} may connect (empty, the default: anyone); {@link QuicEndpoint#allow} changes it later. */
        public Builder allow(java.util.Collection<EndpointId> peers) {
            this.allowed = java.util.Set.copyOf(peers);
            return this;
        }

        private java.util.Set<EndpointId> allowed = java.util.Set.of();

        public Builder maxConnectionsPerPeer(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnectionsPerPeer must be at least 1");
            }
            this.maxConnectionsPerPeer = max;
            return this;
        }

        /**
         * The STUN servers asked for the endpoint's reflexive addresses (host names are resolved off the event
         * loop). Default (null): each relay's host at port {@value #STUN_PORT}, the relay's own responder;
         * an empty list turns STUN off.
         */
        public Builder stunServers(List<InetSocketAddress> servers) {
            this.stunServers = servers == null ? null : List.copyOf(servers);
            return this;
        }

        /**
         * The wall clock (default: the system's, UTC): it dates the records this endpoint publishes and decides
         * when a discovery result is too old to dial. Tests move it days ahead.
         */
        public Builder clock(java.time.Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The monotonic clock, in nanoseconds (default {@code System::nanoTime}), that the endpoint's decisions go
         * by: probe timing and path timeouts, punching rounds, STUN rounds, forgetting idle peers, the age of
         * messages waiting in {@link QuicEndpoint#send}. Its timers still fire in real time, each deciding by this
         * clock: a test moves it a day ahead and sees what the node does a day later.
         */
        public Builder ticker(java.util.function.LongSupplier nanoTime) {
            this.ticker = Objects.requireNonNull(nanoTime, "nanoTime");
            return this;
        }

        /** The port STUN servers are asked at by default: the relays' (and the standard) STUN port. */
        public static final int STUN_PORT = 3478;

        /** Binds the socket and starts the endpoint. */
        public QuicEndpoint build() throws QuiverException {
            return new QuicEndpoint(this);
        }
    }
}
