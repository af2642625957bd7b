package org.quiver.transport.quic.impl;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.CloseInfo;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
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
 * The facade and lifecycle: it builds the parts (each in its own file: {@link Router}, {@link PathLayer},
 * {@link Acceptor}, {@link Dialer}, {@link Connections}, {@link RelayTransport}, {@link PunchSockets},
 * {@link OwnAddress}, {@link Discoveries}, {@link Outbox}, {@link Events}), wires them, binds the socket and
 * implements {@link Endpoint} by delegating to them. The walk of a datagram and the threads are in
 * {@code docs/architecture.md}.
 *
 * <p>Threads: owns the {@link EndpointThreads} (one event loop that runs the sockets, both codecs and every
 * connection; a pool for handlers and anything that may block); public methods are thread-safe.
 * {@link #close()} closes the connections, stops both threads and frees the port.
 */
public final class QuicEndpoint implements Endpoint {
    /** How long a closing endpoint waits for peers to see its close before it aborts. */
    static final Duration DRAIN = Duration.ofMillis(250);
    private static final long SWEEP_SECONDS = 5;
    /** UDP payload limit both ways: a 1500-byte MTU less IPv4 and UDP headers. */
    static final int MAX_UDP_PAYLOAD = 1472;
    /** The buffer one read of the socket fills with receive offload on: the most one coalesced read carries. */
    private static final int GRO_READ = 64 * 1024;
    /**
     * Reads of the socket per readiness, as netty's datagram channels have by default; an allocator set by option
     * starts at 1, which held the endpoint to one read per wakeup (48-73 MB/s instead of 208 with 10-segment sends).
     */
    private static final int READS_PER_WAKEUP = 16;

    private final LocalIdentity identity;
    /** The event loop and the handler pool, with the periodic tasks. */
    private final EndpointThreads threads;
    private final Channel udp;
    private final VirtualChannel serverSide;
    private final VirtualChannel clientSide;
    private final PathTable paths;
    private final PathLayer pathLayer;
    private final Metrics metrics = new Metrics();
    /** The structured events (EventAdmin in OSGi). */
    private final Events events;
    /** The accepting side: handlers by ALPN, server TLS, the allow-list, accepted connections and their streams. */
    private final Acceptor acceptor;
    /** The dialing side: the path a dial starts on, client-role TLS, our dials' connection ids. */
    private final Dialer dialer;
    /** The live connections, with their metrics and events; also follows NAT rebindings. */
    private final Connections connections;
    /** What {@link #send} holds until its connection is up. */
    private final Outbox outbox;
    /** The discovery providers: publishing the own address, dialing by id. */
    private final Discoveries discoveries;
    private final LongAdder dropped = new LongAdder();
    private final WatchableValue<EndpointAddr> addr;
    private final WatchableValue<List<InetSocketAddress>> bound;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** The one route in and out for datagrams of every path. */
    private final Router router;
    /** The relay as a path: the provider's link, the home relay, relayed datagrams in and out. */
    private final RelayTransport relays;
    /** Birthday punching's extra sockets. */
    private final PunchSockets punch;
    /** The own address: interface and reflexive (STUN) addresses, home relay, our NAT's behaviour. */
    private final OwnAddress own;
    /** Looks for a change of network. */
    private final NetworkWatch network;

    QuicEndpoint(EndpointBuilder b) throws QuiverException {
        this.identity = b.identity;
        this.threads = new EndpointThreads(b.handlerThreads);
        this.paths = new PathTable(b.maxPeers, b.ticker);
        this.events = new Events(identity.id(), b.events);
        if (b.metrics != null) {
            metrics.set(b.metrics);
        }
        this.pathLayer = new PathLayer(identity, paths, b.timings, this::sendControl, this::pathChanged);
        if (b.selector != null) {
            pathLayer.selector(b.selector);
        }
        this.own = new OwnAddress(threads, closing::get, pathLayer, this::publish, this::sendStun, b.stunServers);
        this.connections = new Connections(metrics, events, pathLayer, threads::onLoop, closing::get);
        this.acceptor = new Acceptor(identity, paths, pathLayer, connections, b.allowed, threads.pool, dropped, b.maxConnectionsPerPeer, b.handlers,
                b.keyExchange.groups(), b.resumption);
        this.outbox = new Outbox(b.pending, b.ticker, this::reuseOrConnect, threads.pool, Outbox.reporting(metrics, events));
        this.serverSide = new VirtualChannel(threads.loop, sender(true));
        this.clientSide = new VirtualChannel(threads.loop, sender(false));
        this.punch = new PunchSockets(threads.loop, paths, pathLayer, closing::get);
        this.dialer = new Dialer(identity, paths, pathLayer, threads, connections, dropped, b.keyExchange.groups(), b.resumption, b.ticker,
                acceptor::replaySafe);
        this.router = new Router(paths, pathLayer, serverSide, clientSide, dialer.liveClientIds, dialer.unconfirmed, connections,
                dropped, metrics, punch::arriving, acceptor::clientInitial,
                dialer::retried);
        this.relays = new RelayTransport(threads, closing::get, this::homeChanged, identity, paths, router, dropped, metrics);
        this.discoveries = new Discoveries(identity, b.clock, b.lookupTimeout, threads, metrics, closing::get, this::connect,
                dialer, relays, paths, pathLayer);
        dialer.poke(router::poke);
        wirePathLayer();
        Segments segments = Segments.of(b.segments);
        try {
            Bootstrap socket = new Bootstrap().group(threads.loop)
                    .channel(Epoll.isAvailable() ? EpollDatagramChannel.class : NioDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                    .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                    .handler(new SocketReader(router, metrics, dropped));
            if (b.gro && Epoll.isAvailable()) {
                // one read takes a whole run of datagrams from one sender (up to 64 KiB); netty cuts it into
                // datagrams, slices of the one buffer, before the router sees them
                socket.option(EpollChannelOption.UDP_GRO, true)
                        .option(ChannelOption.RECVBUF_ALLOCATOR, new io.netty.channel.FixedRecvByteBufAllocator(GRO_READ).maxMessagesPerRead(READS_PER_WAKEUP));
            }
            this.udp = socket.bind(b.bind).sync().channel();
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

                @Override
                public boolean relaySend(EndpointId peer, java.nio.ByteBuffer datagrams, int segmentSize) {
                    return relays.send(peer, datagrams, segmentSize);
                }
            }, udp, segments);
            threads.loop.register(serverSide).sync();
            threads.loop.register(clientSide).sync();
            serverSide.pipeline().addLast(acceptor.codec(b.clock, b::transportParameters, segments));
            clientSide.pipeline().addLast(dialer.codec(clientSide, b::transportParameters, segments));
        } catch (Exception e) {
            threads.abort();
            throw new QuiverException("Cannot bind the QUIC endpoint to " + b.bind + ": " + e.getMessage(), e);
        }
        InetSocketAddress local = (InetSocketAddress) udp.localAddress();
        pathLayer.socketFamily(local.getAddress() instanceof java.net.Inet6Address);
        schedule(b);
        this.bound = new WatchableValue<>("bound addresses", List.of(local));
        this.addr = own.start(identity.id(), local);
        java.util.function.Supplier<List<InetSocketAddress>> interfaces = b.networkSource != null ? b.networkSource
                : () -> OwnAddress.directAddresses(local);
        this.network = new NetworkWatch(interfaces, interfaces.get(), threads, b.clock, this::networkChanged);
        threads.periodic(network::look, b.networkCheckInterval.toNanos());
        discoveries.start(addr);
        b.discoveries.forEach(discoveries::add);
        if (b.relay != null) {
            try {
                relay(b.relay);
            } catch (IllegalStateException e) {
                // a provider that cannot attach leaves the endpoint with direct paths only; the message says why
            }
        }
    }

    /** What the path layer asks of the rest of the endpoint. */
    private void wirePathLayer() {
        pathLayer.stun((from, d) -> own.reflexive().onMessage(from, d, paths.now()));
        pathLayer.silenceSeen(() -> { // a direct path went silent: our NAT may have mapped us anew, so STUN is asked now
            own.reflexive().refresh();
            own.reflexive().tick(paths.now());
        });
        pathLayer.ownFlags(own::natFlags);
        pathLayer.relayCarries(relays::carries);
        pathLayer.fan(punch::open);
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
        pathLayer.authenticated(punch::authenticated); // a peer answered on an extra socket: its path goes through it
        pathLayer.ownCandidates(() -> {
            List<InetSocketAddress> candidates = new ArrayList<>(addr.get().directAddresses());
            candidates.addAll(pathLayer.observedAddresses());
            return candidates;
        });
    }

    /** The periodic work on the loop: sweeping forgotten peers, the path layer's tick, expiring {@code send}'s messages, publishing. */
    private void schedule(EndpointBuilder b) {
        // peers no connection uses any more (closed, or handshakes that never finished) are forgotten
        long idleNanos = b.idleTimeout.toNanos();
        threads.periodic(() -> {
            metrics.get().eventLoopTick("sweep");
            paths.sweep(idleNanos);
            punch.sweep(paths.now());
        }, TimeUnit.SECONDS.toNanos(SWEEP_SECONDS));
        threads.periodic(() -> {
            metrics.get().eventLoopTick("paths");
            long now = paths.now();
            pathLayer.tick(now);
            own.reflexive().tick(now);
        }, pathLayer.tickNanos());
        long expiry = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(b.pending.ttl().toNanos() / 2, TimeUnit.SECONDS.toNanos(1)));
        threads.periodic(() -> {
            if (outbox.stats().messages() > 0) { // else no pool task (each one would keep a pool thread from ending)
                threads.offPool(outbox::expire); // the expired are told on a pool thread, never on the loop; busy: next round
            }
        }, expiry);
        // records are refused after a day: publish again well before that
        threads.periodic(this::publish, TimeUnit.MINUTES.toNanos(30));
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

    /** Where the codec of one role ({@code server} or client) writes: {@link #fromQuic}. */
    private VirtualChannel.Sender sender(boolean server) {
        return new VirtualChannel.Sender() {
            @Override
            public void send(InetSocketAddress mapped, ByteBuf content, int segmentSize) {
                fromQuic(mapped, content, server, segmentSize);
            }

            @Override
            public void flush() {
                router.flush();
            }
        };
    }

    /**
     * A datagram QUIC ({@code server}'s role or the client's) wrote to a peer's mapped address, or a burst of them
     * ({@code segmentSize} > 0, all of one connection): out on the peer's path.
     * Event loop.
     */
    private void fromQuic(InetSocketAddress mapped, ByteBuf content, boolean server, int segmentSize) {
        PathTable.Peer peer = paths.byMapped(mapped);
        if (peer == null || !pathLayer.reachable(peer.real)) {
            // no path, or one this socket cannot carry (an IPv6 address on an IPv4 socket): dropped and
            // counted, never an error for QUIC, which recovers once a usable path is selected
            dropped.increment();
            metrics.get().datagramDropped("no-path");
            content.release();
            return;
        }
        int step = segmentSize > 0 ? segmentSize : content.readableBytes();
        for (int at = content.readerIndex(); at < content.writerIndex(); at += step) { // each datagram of a burst
            if ((content.getUnsignedByte(at) & 0x80) != 0) { // a long header: a handshake packet
                handshakeSent(peer, content.slice(at, Math.min(step, content.writerIndex() - at)), server);
            }
        }
        router.outbound(peer, peer.real, content, true, segmentSize);
    }

    /** One handshake datagram QUIC sends to {@code peer}: what the endpoint learns from it. Event loop. */
    private void handshakeSent(PathTable.Peer peer, ByteBuf datagram, boolean server) {
        paths.issued(peer, datagram); // its id is how a rebound peer is recognised
        if (ConnectionIds.isInitial(datagram)) { // which key exchange the handshake chooses
            if (server) {
                KeyExchanges.serverInitial(peer, datagram);
            } else {
                KeyExchanges.clientInitial(peer, datagram);
            }
        }
        if (!server) {
            dialer.sending(datagram);
        }
    }

    /** A STUN request from the main socket (the reflexive address is the socket's). Event loop. */
    private void sendStun(InetSocketAddress to, byte[] datagram) {
        udp.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(datagram), to));
    }

    /** Publishes the own address to every discovery provider (on the pool). */
    private void publish() {
        discoveries.publish(null);
    }

    /** The path layer's datagrams (probes, calls): through the router, flushed at once. Event loop. */
    private void sendControl(PathAddr to, byte[] datagram) {
        router.outbound(null, to, Unpooled.wrappedBuffer(datagram), false, 0);
    }

    /** The home relay changed (from {@link RelayTransport}, never under its lock): the own address and peers follow. */
    private void homeChanged(java.net.URI home, java.net.URI previous) {
        // whoever updates last sets the home relay as it is then, so racing changes end on the latest one
        if (!own.homeRelay(relays.home(), relays())) {
            return; // the endpoint closed meanwhile
        }
        publish();
        events.post(org.quiver.api.EventTopics.RELAY_HOME_CHANGED, org.quiver.api.EventTopics.RELAY_URL, home == null ? null : home.toString(),
                org.quiver.api.EventTopics.PREVIOUS, previous == null ? null : previous.toString());
    }

    /**
     * Event loop: the network changed: the own address follows, every path is probed now (a working one that does not
     * answer within a few round trips is left then, so a connection falls to the relay at once), punching starts over.
     */
    private void networkChanged(NetworkWatch.Change c) {
        own.interfacesChanged(c.after());
        relays.networkChanged(); // a relay connection made on the old network may be dead: checked now
        long leaveAfter = pathLayer.networkChanged(paths.now());
        if (leaveAfter > 0) { // the working paths that do not answer on the new network are left then, not at the next tick
            threads.loop.schedule(() -> {
                if (!closing.get()) {
                    pathLayer.tick(paths.now());
                }
            }, leaveAfter + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1), java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        events.post(org.quiver.api.EventTopics.NETWORK_CHANGED, org.quiver.api.EventTopics.ADDRESSES, AddressText.list(c.after()),
                org.quiver.api.EventTopics.PREVIOUS, AddressText.list(c.before()));
    }

    @Override
    public java.util.Optional<java.time.Instant> lastNetworkChange() {
        NetworkWatch.Change c = network.lastChange();
        return c == null ? java.util.Optional.empty() : java.util.Optional.of(c.at());
    }

    /** Event loop: the path layer moved {@code peer}; its connections report the new path. */
    private void pathChanged(PathTable.Peer peer, Candidate<PathAddr> previous, Candidate<PathAddr> selected) {
        connections.pathChanged(peer, previous, selected);
    }

    /** A builder for an endpoint of {@code identity}. */
    public static EndpointBuilder builder(LocalIdentity identity) {
        return new EndpointBuilder(identity);
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

    @Override
    public List<org.quiver.api.RelayStatus> relays() {
        return relays.status();
    }

    /**
     * Uses {@code selector} (null: the default) to choose paths from now on, re-evaluating every peer at once;
     * live connections move if the new policy prefers another path, and are never dropped.
     */
    public void pathSelector(org.quiver.spi.path.PathSelector selector) {
        pathLayer.selector(selector);
        threads.onLoop(pathLayer::reselectAll);
    }

    /**
     * Reports to {@code m} from now on (null: nowhere). Swapping never disturbs traffic; counts of
     * connections open at the swap are not carried over.
     */
    public void metrics(org.quiver.spi.metrics.TransportMetrics m) {
        metrics.set(m);
    }

    @Override
    public List<org.quiver.api.PathStatus> paths(EndpointId peer) {
        PathTable.Peer p = paths.byId(peer);
        if (p == null) {
            return List.of();
        }
        try {
            return threads.onLoopGet(() -> pathLayer.status(p));
        } catch (IllegalStateException closingOrSlow) {
            return List.of();
        }
    }

    @Override
    public CompletionStage<Void> send(EndpointAddr to, String alpn, byte[] message) {
        if (closing.get()) {
            return CompletableFuture.failedFuture(new QuiverException("The endpoint is closed"));
        }
        return outbox.send(to, alpn, message);
    }

    /** A live connection this endpoint dialed to {@code to} with {@code alpn}, or a new one. */
    private CompletionStage<Connection> reuseOrConnect(EndpointAddr to, String alpn) {
        QuicConnectionImpl live = connections.dialedTo(to.id(), alpn);
        return live != null ? CompletableFuture.completedFuture(live) : connect(to, alpn);
    }

    /**
     * Uses {@code provider} (called {@code name}) to find peers by id from now on, and publishes this
     * endpoint's signed address to it now and whenever the address changes.
     */
    public void addDiscovery(org.quiver.spi.discovery.Discovery provider, String name) {
        discoveries.add(provider, name);
    }

    /** Stops using {@code provider}; lookups it is running are cancelled by their own timeout or result. */
    public void removeDiscovery(org.quiver.spi.discovery.Discovery provider) {
        discoveries.remove(provider);
    }

    @Override
    public CompletionStage<Connection> connect(EndpointId id, String alpn) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(alpn, "alpn");
        return discoveries.connect(id, alpn);
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
        return dialer.dial(target, alpn, relays);
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

    @Override
    public Set<EndpointId> allowed() {
        return acceptor.allowed();
    }

    /**
     * Allows only {@code peers} to connect from now on (empty: anyone). Connections that are up stay; every
     * handshake that completes after this call is checked against the new list.
     */
    public void allow(Collection<EndpointId> peers) {
        acceptor.allow(peers);
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
                    quietly(addr::close);
                    quietly(bound::close);
                    Outbox.runLeftOver(threads.stop(() -> closed.complete(null)));
                });
        return closed;
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

    // ---- package-private seams: tests in this package read and drive the parts through these ----

    /** What {@code read} returns, read on the event loop. */
    <T> T onLoopGet(java.util.concurrent.Callable<T> read) {
        return threads.onLoopGet(read);
    }

    Router router() {
        return router;
    }

    PunchSockets punch() {
        return punch;
    }

    PathLayer pathLayer() {
        return pathLayer;
    }

    Acceptor acceptor() {
        return acceptor;
    }

    org.quiver.spi.path.PathSelector pathSelector() {
        return pathLayer.selector();
    }

    /** Probes sent, received, and dropped (malformed, forged, replayed, unexpected, over budget); path switches. */
    long[] probeCounts() {
        return new long[] {pathLayer.probesSent.sum(), pathLayer.probesReceived.sum(), pathLayer.probesDropped.sum(),
                pathLayer.pathSwitches.sum()};
    }

    /** The reflexive addresses STUN servers reported for the socket. */
    List<InetSocketAddress> reflexiveAddresses() {
        return own.reflexiveAddresses();
    }

    /** What {@link #send} holds: peers, messages, bytes waiting, and how many were dropped or expired so far. */
    BoundedPendingBuffer.Stats pendingStats() {
        return outbox.stats();
    }

    /** Datagrams dropped so far (unroutable, no path, queues full). */
    long droppedDatagrams() {
        return dropped.sum();
    }

    /** NAT rebindings followed. */
    long rebindings() {
        return connections.rebindings.sum();
    }

    /** Peers of unvalidated senders pushed out by newer ones (a flood of Initials). */
    long unvalidatedEvicted() {
        return onLoopGet(paths::evicted);
    }

    /** Connections refused so far because their peer was not allowed. */
    long notAllowedCount() {
        return acceptor.notAllowed.sum();
    }

    /** Periodic tasks that threw. */
    long periodicFailures() {
        return threads.periodicFailures.sum();
    }

    /**
     * Moves the traffic of the connections to {@code peer} onto another real address now. The QUIC connections
     * do not notice: they keep talking to the same mapped address. The address becomes a candidate path; the
     * path layer moves the traffic again when probes show a better one (or this one cannot carry it).
     */
    void switchPath(EndpointId peer, InetSocketAddress real) {
        connections.force(peer, real);
    }
}
