package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;

/**
 * Settings for a {@link QuicEndpoint}: made by {@link QuicEndpoint#builder}, used once by {@link #build}. Plain
 * values; one thread at a time.
 */
public final class EndpointBuilder {
    final LocalIdentity identity;
    final Map<String, ProtocolHandler> handlers = new java.util.LinkedHashMap<>();
    InetSocketAddress bind = new InetSocketAddress(0);
    Duration idleTimeout = Duration.ofSeconds(30);
    int maxPeers = 10_000;
    int maxConnectionsPerPeer = 256;
    int maxStreams = 1000;
    int handlerThreads = 64;
    CandidateSet.Timings timings = CandidateSet.Timings.DEFAULT;
    org.quiver.spi.path.PathSelector selector;
    BoundedPendingBuffer.Limits pending = BoundedPendingBuffer.Limits.DEFAULT;
    java.util.function.BiConsumer<String, Map<String, Object>> events = (topic, props) -> { };
    org.quiver.spi.metrics.TransportMetrics metrics;
    org.quiver.spi.relay.RelayProvider relay;
    Duration lookupTimeout = Duration.ofSeconds(10);
    List<InetSocketAddress> stunServers;
    java.time.Clock clock = java.time.Clock.systemUTC();
    java.util.function.LongSupplier ticker = System::nanoTime;
    int segments = Segments.MAX;
    boolean gro = true;
    final Map<org.quiver.spi.discovery.Discovery, String> discoveries = new java.util.LinkedHashMap<>();

    EndpointBuilder(LocalIdentity identity) {
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    /**
     * Where the UDP socket binds. Default: the JDK's wildcard at a free port, one dual-stack socket where the host has
     * IPv6 (IPv4 only where it has not); {@code 0.0.0.0} keeps a node to IPv4.
     */
    public EndpointBuilder bind(InetSocketAddress address) {
        this.bind = Objects.requireNonNull(address, "address");
        return this;
    }

    /** Accepts connections with {@code alpn}, handing them to {@code handler}. */
    public EndpointBuilder handler(String alpn, ProtocolHandler handler) {
        checkAlpn(alpn);
        handlers.put(alpn, Objects.requireNonNull(handler, "handler"));
        return this;
    }

    static void checkAlpn(String alpn) {
        if (alpn == null || alpn.isEmpty() || alpn.length() > 255) {
            throw new IllegalArgumentException("An ALPN is 1 to 255 characters, got '" + alpn + "'");
        }
    }

    public EndpointBuilder idleTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive");
        }
        this.idleTimeout = timeout;
        return this;
    }

    public EndpointBuilder maxPeers(int max) {
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
    public EndpointBuilder probeInterval(Duration interval) {
        if (interval.toMillis() < 20) {
            throw new IllegalArgumentException("the probe interval must be at least 20 ms, got " + interval);
        }
        this.timings = CandidateSet.Timings.ofHeartbeat(interval.toNanos());
        return this;
    }

    /** Limits of what {@link QuicEndpoint#send} holds while connections come up (default: {@code Limits.DEFAULT}). */
    public EndpointBuilder pendingLimits(BoundedPendingBuffer.Limits limits) {
        this.pending = Objects.requireNonNull(limits, "limits");
        return this;
    }

    /**
     * Where the endpoint posts its structured events ({@link org.quiver.api.EventTopics}): topic and
     * properties; called on the event loop, so it must not block (EventAdmin's postEvent does not).
     */
    public EndpointBuilder events(java.util.function.BiConsumer<String, Map<String, Object>> sink) {
        this.events = Objects.requireNonNull(sink, "sink");
        return this;
    }

    /** Where the endpoint reports its metrics (default: nowhere). */
    public EndpointBuilder metrics(org.quiver.spi.metrics.TransportMetrics m) {
        this.metrics = m;
        return this;
    }

    /** How long a dial by id waits for discovery results before it gives up (default 10 s). */
    public EndpointBuilder lookupTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the lookup timeout must be positive, got " + timeout);
        }
        this.lookupTimeout = timeout;
        return this;
    }

    /** A discovery provider to start with, called {@code name} (more can come and go: {@link QuicEndpoint#addDiscovery}). */
    public EndpointBuilder discovery(org.quiver.spi.discovery.Discovery provider, String name) {
        discoveries.put(Objects.requireNonNull(provider, "provider"), Objects.requireNonNull(name, "name"));
        return this;
    }

    /** The relay provider to start with (default: none; {@link QuicEndpoint#relay} changes it later). */
    public EndpointBuilder relay(org.quiver.spi.relay.RelayProvider provider) {
        this.relay = provider;
        return this;
    }

    /** The path policy to start with (default: none, which holds each peer on a working path, see {@link HoldingSelector}; the path bundle's {@code DefaultPathSelector} is the policy a node uses). */
    public EndpointBuilder pathSelector(org.quiver.spi.path.PathSelector selector) {
        this.selector = selector;
        return this;
    }

    /** Only {@code peers} may connect (empty, the default: anyone); {@link QuicEndpoint#allow} changes it later. */
    public EndpointBuilder allow(java.util.Collection<EndpointId> peers) {
        this.allowed = java.util.Set.copyOf(peers);
        return this;
    }

    java.util.Set<EndpointId> allowed = java.util.Set.of();

    /** Which TLS key exchanges a handshake may use, both when dialing and when accepting. */
    public enum KeyExchange {
        /** X25519MLKEM768 (hybrid post-quantum) with every peer that offers it, X25519 with one that does not. The default. */
        PREFER_HYBRID("prefer-hybrid", KeyExchanges.HYBRID, KeyExchanges.CLASSICAL),
        /** X25519MLKEM768 only: a peer without it is refused in the handshake. */
        REQUIRE_HYBRID("require-hybrid", KeyExchanges.HYBRID),
        /** X25519 only (for peers whose TLS stack chokes on the large hybrid key share). */
        CLASSICAL("classical", KeyExchanges.CLASSICAL);

        private final String configName;
        private final String[] groups;

        KeyExchange(String configName, String... groups) {
            this.configName = configName;
            this.groups = groups;
        }

        /** The name in the {@code org.quiver.endpoint} configuration. */
        public String configName() {
            return configName;
        }

        /** The TLS groups offered and accepted, most preferred first. */
        String[] groups() {
            return groups.clone();
        }
    }

    KeyExchange keyExchange = KeyExchange.PREFER_HYBRID;
    Duration networkCheckInterval = Duration.ofMillis(250);
    /** Where the network watch looks (null: the socket's interface addresses); tests give their own. */
    java.util.function.Supplier<List<InetSocketAddress>> networkSource;

    /**
     * How often the endpoint looks for a change of network (its interface addresses; default 250 ms: one look costs
     * ~0.18 ms here, 0.07 % of a core at this rate). On a change it probes every peer's paths at once, checks its relay
     * connections, asks STUN again, republishes its address and punches holes again.
     */
    public EndpointBuilder networkCheckInterval(Duration interval) {
        if (interval.toMillis() < 10) {
            throw new IllegalArgumentException("networkCheckInterval must be at least 10 ms");
        }
        this.networkCheckInterval = interval;
        return this;
    }

    /** Tests: the addresses the network watch sees, instead of the interfaces'. */
    EndpointBuilder networkSource(java.util.function.Supplier<List<InetSocketAddress>> source) {
        this.networkSource = source;
        return this;
    }
    Tls.Resumption resumption = Tls.Resumption.DEFAULT;

    /**
     * Session resumption (default: 1,000 sessions per protocol, 1 hour): a dial to a peer this endpoint completed a
     * handshake with in the last {@code lifetime} resumes that session (a pre-shared key from the peer's ticket,
     * still with a fresh key exchange), skipping both signatures and certificates. A session is kept per peer id and
     * is resumed only for that id. {@code sessions} 0 turns it off for dials; the lifetime also bounds the tickets
     * this endpoint issues.
     */
    public EndpointBuilder sessionResumption(int sessions, Duration lifetime) {
        if (sessions < 0 || lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("sessionResumption needs sessions >= 0 and a positive lifetime");
        }
        this.resumption = new Tls.Resumption(sessions, Math.max(1, lifetime.toSeconds()));
        return this;
    }

    /** The key exchanges handshakes may use (default {@link KeyExchange#PREFER_HYBRID}). */
    public EndpointBuilder keyExchange(KeyExchange policy) {
        this.keyExchange = java.util.Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * Connections accepted from one remote socket address at once (default 256); more are closed right
     * after their handshake with code 0x103, so one sender cannot hold unbounded state.
     */
    public EndpointBuilder maxConnectionsPerPeer(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxConnectionsPerPeer must be at least 1");
        }
        this.maxConnectionsPerPeer = max;
        return this;
    }

    /**
     * Segmentation offload (GSO): QUIC hands bursts of up to {@code max} equal-size datagrams to one peer to the
     * kernel as one send (default {@value Segments#MAX}, the most one 64 KiB send carries); 0 or 1 sends every
     * datagram on its own. Without epoll or a kernel with {@code UDP_SEGMENT} every datagram goes on its own anyway.
     */
    public EndpointBuilder segments(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("segments must be 0 or more");
        }
        this.segments = max;
        return this;
    }

    /**
     * Receive offload (GRO, default on): the kernel hands a run of datagrams from one sender to the socket in one
     * read (netty cuts it into datagrams again). Without epoll this setting does nothing.
     */
    public EndpointBuilder receiveOffload(boolean on) {
        this.gro = on;
        return this;
    }

    /**
     * The STUN servers asked for the endpoint's reflexive addresses (host names are resolved off the event
     * loop). Default (null): each relay's host at port {@value #STUN_PORT}, the relay's own responder;
     * an empty list turns STUN off.
     */
    public EndpointBuilder stunServers(List<InetSocketAddress> servers) {
        this.stunServers = servers == null ? null : List.copyOf(servers);
        return this;
    }

    /**
     * The wall clock (default: the system's, UTC): it dates the records this endpoint publishes and decides
     * when a discovery result is too old to dial. Tests move it days ahead.
     */
    public EndpointBuilder clock(java.time.Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * The monotonic clock, in nanoseconds (default {@code System::nanoTime}), that the endpoint's decisions go
     * by: probe timing and path timeouts, punching rounds, STUN rounds, forgetting idle peers, the age of
     * messages waiting in {@link QuicEndpoint#send}. Its timers still fire in real time, each deciding by this
     * clock: a test moves it a day ahead and sees what the node does a day later.
     */
    public EndpointBuilder ticker(java.util.function.LongSupplier nanoTime) {
        this.ticker = Objects.requireNonNull(nanoTime, "nanoTime");
        return this;
    }

    /** The port STUN servers are asked at by default: the relays' (and the standard) STUN port. */
    public static final int STUN_PORT = 3478;

    /** Binds the socket and starts the endpoint. */
    public QuicEndpoint build() throws QuiverException {
        return new QuicEndpoint(this);
    }

    /** This builder's QUIC transport parameters on a codec builder of either role. */
    <B extends io.netty.handler.codec.quic.QuicCodecBuilder<B>> B transportParameters(B builder) {
        return builder.maxIdleTimeout(idleTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .initialMaxData(64L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalLocal(16L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalRemote(16L * 1024 * 1024)
                .initialMaxStreamDataUnidirectional(16L * 1024 * 1024)
                .initialMaxStreamsBidirectional(maxStreams)
                .initialMaxStreamsUnidirectional(maxStreams)
                .maxSendUdpPayloadSize(QuicEndpoint.MAX_UDP_PAYLOAD)
                .maxRecvUdpPayloadSize(QuicEndpoint.MAX_UDP_PAYLOAD)
                .datagram(2048, 2048);
    }
}
