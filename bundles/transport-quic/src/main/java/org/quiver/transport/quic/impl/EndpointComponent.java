package org.quiver.transport.quic.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.api.Watchable;

/**
 * The {@link Endpoint} service: a thin adapter that builds a {@link QuicEndpoint} from configuration and
 * keeps its protocol handlers in step with the {@link ProtocolHandler} services registered with a
 * {@value ProtocolHandler#ALPN_PROPERTY} property (the whiteboard). Handlers come and go without a restart.
 *
 * <p>Activation checks the configuration (a bad one fails it, with the reason) and builds the endpoint on a thread of
 * its own, {@code quiver-endpoint-start} (~150 ms of class loading and native set-up at a node's start, which the
 * framework's start-level thread spends on the other bundles meanwhile). Until it is built, {@link #id()} answers and
 * the other methods wait for it; services bound meanwhile are applied when it is. If the build fails (the port is
 * taken), the reason is printed and every method but {@link #id()} throws {@link IllegalStateException} with it. The
 * thread ends with the build; deactivation waits for it and closes the endpoint.
 *
 * <p>With the framework property {@value #START_PROPERTY} set to {@code on-demand} (the launcher sets it for a one-shot
 * {@code quiver -c} process) the build starts at the first call that needs the endpoint instead: a command that needs
 * none ({@code quiver:id}) opens no socket, publishes no address and connects to no relay, and the process ends without
 * waiting for a build it never used. Deactivated before any use, the component builds nothing.
 */
@Component(name = EndpointComponent.PID, service = Endpoint.class, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = EndpointComponent.Config.class)
public final class EndpointComponent implements Endpoint {
    public static final String PID = "org.quiver.endpoint";

    @ObjectClassDefinition(name = "Quiver endpoint", description = "The node's QUIC endpoint: one UDP socket (dual-stack by default) that dials and accepts.")
    public @interface Config {
        @AttributeDefinition(name = "Bind address", description = "Local IP address of the UDP socket; :: for every interface of both"
                + " families (one dual-stack socket; every IPv4 interface on a host without IPv6), 0.0.0.0 for every IPv4 interface only")
        String bindAddress() default "::";

        @AttributeDefinition(name = "Port", description = "UDP port; 0 picks a free one (it is in the node's ticket)")
        int port() default 0;

        @AttributeDefinition(name = "Idle timeout (s)", description = "A connection with no packets for this long is closed")
        int idleTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Max peers", description = "Remote endpoints tracked at once; new senders beyond it are dropped")
        int maxPeers() default 10_000;

        @AttributeDefinition(name = "Probe interval (ms)", description = "How often working paths are probed; a path silent for 3.25 intervals is left (min 20)")
        int probeIntervalMillis() default 2_000;

        @AttributeDefinition(name = "Lookup timeout (ms)", description = "How long a dial by id waits for discovery results")
        int lookupTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "STUN servers", description = "host:port list (comma-separated) asked for this node's reflexive "
                + "address; empty: each relay's host at port 3478 (the relay's own responder); 'none': no STUN")
        String stunServers() default "";

        @AttributeDefinition(name = "Allowed peers", description = "Ids (as quiver:id prints them, comma-separated) of the only peers that may connect; empty: anyone."
                + " A change applies to new connections at once, without a restart")
        String[] allow() default {};

        @AttributeDefinition(name = "Key exchange", description = "prefer-hybrid (default): X25519MLKEM768, post-quantum, with any peer "
                + "that offers it, else X25519; require-hybrid: refuse peers without X25519MLKEM768; classical: X25519 only")
        String keyExchange() default "prefer-hybrid";

        @AttributeDefinition(name = "Resumable sessions", description = "TLS sessions kept per protocol to resume a later dial to the same "
                + "peer id without certificates and signatures; 0: none")
        int sessionCacheSize() default 1_000;

        @AttributeDefinition(name = "Session lifetime (s)", description = "How long a session can be resumed (also the lifetime of the tickets this node issues)")
        int sessionLifetimeSeconds() default 3_600;

        @AttributeDefinition(name = "Segments per send", description = "Segmentation offload (GSO): up to this many of a connection's "
                + "datagrams leave in one send (max 44); 0 or 1: each on its own. Needs epoll and a kernel with UDP_SEGMENT")
        int segments() default Segments.MAX;

        @AttributeDefinition(name = "Receive offload", description = "GRO: the kernel hands a run of datagrams from one sender over in one read")
        boolean receiveOffload() default true;
    }

    /** The key-exchange policy a configuration names; anything else is an error naming the choices. */
    static EndpointBuilder.KeyExchange keyExchange(String name) throws QuiverException {
        for (EndpointBuilder.KeyExchange k : EndpointBuilder.KeyExchange.values()) {
            if (k.configName().equals(name.strip())) {
                return k;
            }
        }
        throw new QuiverException("org.quiver.endpoint: keyExchange '" + name + "' is not prefer-hybrid, require-hybrid or classical");
    }

    /** The ids a configuration allows (empty: anyone); a malformed id is an error naming it. */
    static java.util.Set<EndpointId> allowed(String[] ids) throws QuiverException {
        java.util.Set<EndpointId> out = new java.util.LinkedHashSet<>();
        if (ids != null) {
            for (String s : ids) {
                for (String one : s.split(",")) {
                    String t = one.strip();
                    if (t.isEmpty()) {
                        continue;
                    }
                    try {
                        out.add(EndpointId.parse(t));
                    } catch (IllegalArgumentException e) {
                        throw new QuiverException("org.quiver.endpoint: allow entry '" + t + "' is not a peer id: " + e.getMessage(), e);
                    }
                }
            }
        }
        return java.util.Set.copyOf(out);
    }

    /** The STUN servers a configuration names: null for the default (the relays'), empty for none. */
    static List<InetSocketAddress> stunServers(String text) throws QuiverException {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            return null;
        }
        if (t.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<InetSocketAddress> servers = new java.util.ArrayList<>();
        for (String item : t.split(",")) {
            String hp = item.strip();
            int colon = hp.lastIndexOf(':');
            String host = colon < 0 ? hp : hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port = EndpointBuilder.STUN_PORT;
            if (colon >= 0 && hp.indexOf(':') == colon || hp.startsWith("[")) {
                try {
                    port = Integer.parseInt(hp.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            } else if (colon >= 0) {
                host = hp; // a bare IPv6 address
            }
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new QuiverException("org.quiver.endpoint: stunServers entry '" + hp + "' is not host:port (port 1-65535)");
            }
            servers.add(InetSocketAddress.createUnresolved(host, port));
        }
        return servers;
    }

    private final Map<ProtocolHandler, List<String>> registered = new ConcurrentHashMap<>();
    /** Guards {@link #endpoint} against the services bound while it is being built (they are applied once, to it). */
    private final Object lock = new Object();
    /** Null until the first build completes. */
    private volatile QuicEndpoint endpoint;
    /** The first build: its endpoint, or why there is none. */
    private final CompletableFuture<QuicEndpoint> started = new CompletableFuture<>();
    private volatile org.quiver.spi.path.PathSelector selector;
    private volatile org.osgi.service.event.EventAdmin eventAdmin;
    private volatile org.quiver.spi.metrics.TransportMetrics metrics;
    private volatile org.quiver.spi.relay.RelayProvider relay;

    private final LocalIdentity identity;
    private volatile Config config;
    /** The first build's builder, until it starts (a configuration change before then replaces it). Under {@link #lock}. */
    private EndpointBuilder firstBuild;
    /** Whether the first build was started, or given up (deactivated before any use). Under {@link #lock}. */
    private boolean buildStarted;

    /** Framework property: {@code on-demand} builds the endpoint at its first use; anything else, at activation. */
    public static final String START_PROPERTY = "quiver.endpoint.start";

    @Activate
    public EndpointComponent(@Reference LocalIdentity identity, Config config, org.osgi.framework.BundleContext context) throws QuiverException {
        this(identity, config, "on-demand".equals(context.getProperty(START_PROPERTY)));
    }

    /** An endpoint built at once, on its own thread. */
    public EndpointComponent(LocalIdentity identity, Config config) throws QuiverException {
        this(identity, config, false);
    }

    EndpointComponent(LocalIdentity identity, Config config, boolean onDemand) throws QuiverException {
        this.identity = identity;
        this.config = config;
        // a bad configuration fails activation here; the dynamic references (handlers, discoveries, selector, metrics,
        // relay) are bound after this constructor returns, maybe before the endpoint exists: each bind method records
        // its service, and hands it to the endpoint if there is one; the start applies what was recorded meanwhile
        this.firstBuild = builder(identity, config);
        if (!onDemand) {
            startBuild();
        }
    }

    /** Starts the first build on {@code quiver-endpoint-start}, unless it was started (or given up) before. Any thread. */
    private void startBuild() {
        EndpointBuilder builder;
        synchronized (lock) {
            if (buildStarted) {
                return;
            }
            buildStarted = true;
            builder = firstBuild;
            firstBuild = null;
        }
        Thread starter = new Thread(() -> start(builder), "quiver-endpoint-start");
        starter.setDaemon(true);
        starter.start();
    }

    /** The starter thread: builds the endpoint, then hands it what was bound meanwhile. */
    private void start(EndpointBuilder builder) {
        QuicEndpoint e;
        try {
            e = builder.build();
        } catch (Throwable failure) { // whatever it is, the callers waiting for the endpoint learn it
            System.err.println("quiver: the endpoint did not start: " + failure.getMessage());
            started.completeExceptionally(failure);
            if (failure instanceof Error && !(failure instanceof LinkageError)) {
                throw (Error) failure;
            }
            return;
        }
        try {
            synchronized (lock) { // what was bound meanwhile, then the endpoint is visible to callers
                registered.forEach((h, alpns) -> alpns.forEach(a -> e.addHandler(a, h)));
                discoveries.forEach(e::addDiscovery);
                if (selector != builder.selector) {
                    e.pathSelector(selector);
                }
                if (metrics != builder.metrics) {
                    e.metrics(metrics);
                }
                if (relay != builder.relay) {
                    try {
                        e.relay(relay);
                    } catch (IllegalStateException failed) {
                        // a provider that cannot attach leaves the endpoint with direct paths only, as at a build
                        System.err.println("quiver: " + failed.getMessage());
                    }
                }
                endpoint = e;
            }
        } finally { // also after a failure above: the endpoint runs, it is closed at deactivation, callers do not wait
            if (endpoint == null) {
                endpoint = e;
            }
            started.complete(e);
        }
    }

    /**
     * The endpoint, once built: waits for the first build (a few hundred milliseconds at most, at a node's start).
     *
     * @throws IllegalStateException if it failed, with the reason
     */
    private QuicEndpoint running() {
        QuicEndpoint e = endpoint;
        if (e != null) {
            return e;
        }
        startBuild(); // built on demand: the first use starts it
        try {
            return started.get();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the endpoint starts", x);
        } catch (java.util.concurrent.ExecutionException x) {
            throw new IllegalStateException("The endpoint did not start: " + x.getCause().getMessage(), x.getCause());
        }
    }

    /**
     * A configuration change: one that changes only the allow-list applies at once to new connections; any other
     * makes a new endpoint (its connections close; its handlers, discoveries and services carry over).
     */
    @org.osgi.service.component.annotations.Modified
    void modified(Config fresh) throws QuiverException {
        java.util.Set<EndpointId> allow = allowed(fresh.allow());
        EndpointBuilder builder = builder(identity, fresh);
        synchronized (lock) {
            if (!buildStarted) { // built on demand and not used yet: the first use builds this configuration's
                config = fresh;
                firstBuild = builder;
                return;
            }
        }
        started.exceptionally(failure -> null).join(); // the first build is over (when it failed, this one may work)
        synchronized (lock) {
            Config old = config;
            config = fresh;
            QuicEndpoint previous = endpoint;
            if (previous != null && sameExceptAllow(old, fresh)) {
                previous.allow(allow);
                return;
            }
            if (previous != null) {
                previous.close(); // first: the new one may bind the same port
            }
            QuicEndpoint next = builder.pathSelector(selector).metrics(metrics).relay(relay).build();
            registered.forEach((h, alpns) -> alpns.forEach(a -> next.addHandler(a, h)));
            discoveries.forEach(next::addDiscovery);
            endpoint = next;
        }
    }

    private static boolean sameExceptAllow(Config a, Config b) {
        return a.bindAddress().strip().equals(b.bindAddress().strip()) && a.port() == b.port() && a.idleTimeoutSeconds() == b.idleTimeoutSeconds()
                && a.maxPeers() == b.maxPeers() && a.probeIntervalMillis() == b.probeIntervalMillis()
                && a.lookupTimeoutMillis() == b.lookupTimeoutMillis() && a.stunServers().strip().equals(b.stunServers().strip())
                && a.keyExchange().strip().equals(b.keyExchange().strip()) && a.sessionCacheSize() == b.sessionCacheSize()
                && a.sessionLifetimeSeconds() == b.sessionLifetimeSeconds() && a.segments() == b.segments()
                && a.receiveOffload() == b.receiveOffload();
    }

    /**
     * Where the socket binds: {@code bind}, except that the IPv6 wildcard {@code ::} is the JDK's wildcard, dual-stack
     * {@code ::} where the host has IPv6 and {@code 0.0.0.0} where it has not (a host without IPv6 still runs a node
     * with the default configuration).
     */
    static InetSocketAddress bindAddress(InetAddress bind, int port) {
        return bind instanceof java.net.Inet6Address && bind.isAnyLocalAddress() ? new InetSocketAddress(port) : new InetSocketAddress(bind, port);
    }

    /** The endpoint {@code config} asks for, not built yet; its bound services are the ones bound now. */
    private EndpointBuilder builder(LocalIdentity identity, Config config) throws QuiverException {
        InetAddress bind;
        try {
            bind = InetAddress.getByName(config.bindAddress().strip());
        } catch (UnknownHostException e) {
            throw new QuiverException("org.quiver.endpoint: bindAddress '" + config.bindAddress() + "' is not an IP address", e);
        }
        if (config.port() < 0 || config.port() > 65535) {
            throw new QuiverException("org.quiver.endpoint: port " + config.port() + " is not 0-65535");
        }
        return QuicEndpoint.builder(identity)
                .bind(bindAddress(bind, config.port()))
                .idleTimeout(Duration.ofSeconds(Math.max(1, config.idleTimeoutSeconds())))
                .maxPeers(Math.max(1, config.maxPeers()))
                .probeInterval(Duration.ofMillis(Math.max(20, config.probeIntervalMillis())))
                .lookupTimeout(Duration.ofMillis(Math.max(1, config.lookupTimeoutMillis())))
                .pathSelector(selector)
                .metrics(metrics)
                .relay(relay)
                .stunServers(stunServers(config.stunServers()))
                .allow(allowed(config.allow()))
                .keyExchange(keyExchange(config.keyExchange()))
                .sessionResumption(Math.max(0, config.sessionCacheSize()), Duration.ofSeconds(Math.max(1, config.sessionLifetimeSeconds())))
                .segments(Math.max(0, config.segments()))
                .receiveOffload(config.receiveOffload())
                .events((topic, props) -> {
                    org.osgi.service.event.EventAdmin ea = eventAdmin;
                    if (ea != null) {
                        ea.postEvent(new org.osgi.service.event.Event(topic, props));
                    }
                });
    }

    private final Map<org.quiver.spi.discovery.Discovery, String> discoveries = new ConcurrentHashMap<>();

    /**
     * Every discovery provider: all are asked at once when a peer is dialed by id, and all get this node's
     * signed address. Providers come and go while the endpoint runs.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDiscovery(org.quiver.spi.discovery.Discovery d, Map<String, Object> properties) {
        Object n = properties.get(org.quiver.spi.discovery.Discovery.NAME_PROPERTY);
        String name = n != null ? n.toString() : d.getClass().getSimpleName() + "#" + properties.get("service.id");
        synchronized (lock) {
            discoveries.put(d, name);
            QuicEndpoint e = endpoint;
            if (e != null) {
                e.addDiscovery(d, name);
            }
        }
    }

    void removeDiscovery(org.quiver.spi.discovery.Discovery d) {
        synchronized (lock) {
            discoveries.remove(d);
            QuicEndpoint e = endpoint;
            if (e != null) {
                e.removeDiscovery(d);
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, target = "(" + ProtocolHandler.ALPN_PROPERTY + "=*)")
    void addHandler(ProtocolHandler handler, Map<String, Object> properties) {
        List<String> alpns = alpns(properties.get(ProtocolHandler.ALPN_PROPERTY));
        synchronized (lock) {
            registered.put(handler, alpns);
            QuicEndpoint e = endpoint;
            if (e != null) {
                alpns.forEach(a -> e.addHandler(a, handler));
            }
        }
    }

    void removeHandler(ProtocolHandler handler, Map<String, Object> properties) {
        synchronized (lock) {
            List<String> alpns = registered.remove(handler);
            QuicEndpoint e = endpoint;
            if (e != null && alpns != null) {
                alpns.forEach(a -> e.removeHandler(a, handler));
            }
        }
    }

    /**
     * The path policy: the {@link org.quiver.spi.path.PathSelector} service with the highest ranking (the path
     * bundle's default ranks -100). Replacing or removing it re-evaluates live connections; none is dropped.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY)
    void setPathSelector(org.quiver.spi.path.PathSelector s) {
        synchronized (lock) {
            selector = s;
            QuicEndpoint e = endpoint;
            if (e != null) {
                e.pathSelector(s);
            }
        }
    }

    void unsetPathSelector(org.quiver.spi.path.PathSelector s) {
        synchronized (lock) {
            if (selector == s) {
                selector = null;
                QuicEndpoint e = endpoint;
                if (e != null) {
                    e.pathSelector(null); // the built-in default until another service arrives
                }
            }
        }
    }

    /**
     * The relay provider: the {@link org.quiver.spi.relay.RelayProvider} service with the highest ranking. A
     * better-ranked one replaces it under live connections (the new one is attached before the old one is
     * detached); without one, only direct paths are used.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY)
    void setRelay(org.quiver.spi.relay.RelayProvider p) {
        synchronized (lock) {
            relay = p;
            QuicEndpoint e = endpoint;
            if (e != null) {
                e.relay(p);
            }
        }
    }

    void unsetRelay(org.quiver.spi.relay.RelayProvider p) {
        synchronized (lock) {
            if (relay == p) {
                relay = null;
                QuicEndpoint e = endpoint;
                if (e != null) {
                    e.relay(null);
                }
            }
        }
    }

    /** The metrics implementation, when a metrics bundle provides one; the endpoint reports nowhere otherwise. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY)
    void setMetrics(org.quiver.spi.metrics.TransportMetrics m) {
        synchronized (lock) {
            metrics = m;
            QuicEndpoint e = endpoint;
            if (e != null) {
                e.metrics(m);
            }
        }
    }

    void unsetMetrics(org.quiver.spi.metrics.TransportMetrics m) {
        synchronized (lock) {
            if (metrics == m) {
                metrics = null;
                QuicEndpoint e = endpoint;
                if (e != null) {
                    e.metrics(null);
                }
            }
        }
    }

    /** EventAdmin, when there is one: the endpoint's events go to it (asynchronously). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY)
    void setEventAdmin(org.osgi.service.event.EventAdmin ea) {
        eventAdmin = ea;
    }

    void unsetEventAdmin(org.osgi.service.event.EventAdmin ea) {
        if (eventAdmin == ea) {
            eventAdmin = null;
        }
    }

    static List<String> alpns(Object property) {
        List<String> out = new ArrayList<>();
        if (property instanceof String) {
            out.add((String) property);
        } else if (property instanceof String[]) {
            out.addAll(List.of((String[]) property));
        } else if (property instanceof Collection) {
            for (Object o : (Collection<?>) property) {
                out.add(String.valueOf(o));
            }
        }
        out.removeIf(a -> a == null || a.isEmpty() || a.length() > 255);
        return out;
    }

    /** The endpoint this component runs (waits for its start). */
    QuicEndpoint endpoint() {
        return running();
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            if (!buildStarted) { // never used: nothing was built, and nothing will be
                buildStarted = true;
                firstBuild = null;
                started.completeExceptionally(new IllegalStateException("the endpoint component was deactivated before the endpoint was used"));
                return;
            }
        }
        started.exceptionally(failure -> null).join(); // the start is over: its endpoint is closed, not left running
        QuicEndpoint e;
        synchronized (lock) {
            e = endpoint;
        }
        if (e != null) {
            e.close();
        }
    }

    /** This node's id: the identity's, known before the endpoint is built. */
    @Override
    public EndpointId id() {
        return identity.id();
    }

    @Override
    public Watchable<EndpointAddr> addr() {
        return running().addr();
    }

    @Override
    public Watchable<List<InetSocketAddress>> boundAddresses() {
        return running().boundAddresses();
    }

    @Override
    public java.util.Optional<java.time.Instant> lastNetworkChange() {
        return running().lastNetworkChange();
    }

    @Override
    public CompletionStage<Connection> connect(EndpointAddr addr, String alpn) {
        return running().connect(addr, alpn);
    }

    @Override
    public CompletionStage<Connection> connect(EndpointId id, String alpn) {
        return running().connect(id, alpn);
    }

    @Override
    public List<org.quiver.api.RelayStatus> relays() {
        return running().relays();
    }

    @Override
    public java.util.Set<EndpointId> allowed() {
        return running().allowed();
    }

    @Override
    public List<org.quiver.api.PathStatus> paths(EndpointId peer) {
        return running().paths(peer);
    }

    @Override
    public CompletionStage<Void> send(EndpointAddr to, String alpn, byte[] message) {
        return running().send(to, alpn, message);
    }

    @Override
    public Collection<Connection> connections() {
        return running().connections();
    }

    @Override
    public CompletionStage<Void> closeAsync() {
        return running().closeAsync();
    }

    @Override
    public void close() {
        running().close();
    }

    @Override
    public String toString() {
        QuicEndpoint e = endpoint;
        return e != null ? e.toString() : "EndpointComponent{" + identity.id() + ", starting}";
    }
}
