package org.quiver.shell.impl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.Ticket;

/**
 * Gogo commands in scope {@code quiver}. A thin layer over the API: each command calls the services and
 * returns text (Gogo prints it); a failure is an exception whose message says what went wrong, which makes
 * {@code bin/quiver -c} exit non-zero.
 */
@Component(
        name = "org.quiver.shell",
        service = QuiverCommands.class,
        immediate = true,
        property = {
            "osgi.command.scope=quiver",
            "osgi.command.function=id",
            "osgi.command.function=addr",
            "osgi.command.function=connect",
            "osgi.command.function=peers",
            "osgi.command.function=paths",
            "osgi.command.function=metrics",
            "osgi.command.function=ping",
            "osgi.command.function=send",
            "osgi.command.function=sendfile",
            "osgi.command.function=accept",
            "osgi.command.function=relay",
            "osgi.command.function=status",
            "osgi.command.function=discover",
            "osgi.command.function=discovery"
        })
public final class QuiverCommands {
    static final String NO_IDENTITY = "This node has no identity: the org.quiver.identity component is not active "
            + "(is its key file unusable? see the errors printed at start-up)";

    private volatile LocalIdentity identity;
    private volatile Endpoint endpoint;
    /** Addresses of peers named by ticket before, so that their id is enough later; bounded (LRU). */
    private final Map<EndpointId, EndpointAddr> known = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<EndpointId, EndpointAddr> eldest) {
            return size() > 1000;
        }
    });

    /** Optional, so that the commands can say why there is no identity instead of vanishing. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setIdentity(LocalIdentity i) {
        this.identity = i;
    }

    void unsetIdentity(LocalIdentity i) {
        if (this.identity == i) {
            this.identity = null;
        }
    }

    private volatile org.quiver.spi.metrics.MetricsExposition metrics;
    private volatile String metricsUrl;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setMetrics(org.quiver.spi.metrics.MetricsExposition m, Map<String, Object> properties) {
        Object url = properties.get(org.quiver.spi.metrics.MetricsExposition.URL_PROPERTY);
        Object httpError = properties.get("quiver.metrics.http.error");
        this.metricsUrl = url != null ? "served at " + url : httpError != null ? String.valueOf(httpError) : null;
        this.metrics = m;
    }

    void unsetMetrics(org.quiver.spi.metrics.MetricsExposition m) {
        if (this.metrics == m) {
            this.metrics = null;
            this.metricsUrl = null;
        }
    }

    @Descriptor("print the node's metrics in Prometheus text format (and where they are served over HTTP)")
    public String metrics() {
        org.quiver.spi.metrics.MetricsExposition m = metrics;
        if (m == null) {
            throw new IllegalStateException("No metrics: the metrics bundle (org.quiver.metrics) is not installed or not active");
        }
        String url = metricsUrl;
        return (url != null ? "# " + url + "\n" : "") + m.scrape().stripTrailing();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setEndpoint(Endpoint e) {
        this.endpoint = e;
    }

    void unsetEndpoint(Endpoint e) {
        if (this.endpoint == e) {
            this.endpoint = null;
        }
    }

    private volatile org.quiver.spi.relay.RelayServerInfo relayServer;

    /** The discovery providers installed, with their names; and what each said to the last quiver:discover. */
    private final Map<org.quiver.spi.discovery.Discovery, String> discoveries = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> lastDiscovered = new java.util.concurrent.ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDiscovery(org.quiver.spi.discovery.Discovery d, Map<String, Object> properties) {
        Object n = properties.get(org.quiver.spi.discovery.Discovery.NAME_PROPERTY);
        discoveries.put(d, n != null ? n.toString() : d.getClass().getSimpleName());
    }

    void removeDiscovery(org.quiver.spi.discovery.Discovery d) {
        discoveries.remove(d);
    }

    @Descriptor("list the discovery providers installed and what each answered to the last quiver:discover")
    public String discovery() {
        if (discoveries.isEmpty()) {
            return "no discovery provider active: configure one in conf/ (org.quiver.discovery.static-<peer>.cfg,"
                    + " org.quiver.discovery.dns.cfg or org.quiver.discovery.mdns.cfg) or install another provider bundle";
        }
        StringBuilder sb = new StringBuilder();
        for (String name : new java.util.TreeSet<>(discoveries.values())) {
            sb.append(String.format(Locale.ROOT, "%-8s %s%n", name, lastDiscovered.getOrDefault(name, "not asked yet")));
        }
        return sb.toString().stripTrailing();
    }

    /** What a dial would make of a result's age: the same rule as the endpoint's (by this node's clock). */
    static String freshness(org.quiver.spi.discovery.DiscoveryItem item, java.time.Instant now) {
        if (item.configured()) {
            return ", configured: never stale";
        }
        if (item.updated().isAfter(now.plus(org.quiver.spi.discovery.EndpointRecord.MAX_SKEW))) {
            return ", FROM THE FUTURE: a dial refuses it";
        }
        if (item.updated().isBefore(now.minus(org.quiver.spi.discovery.EndpointRecord.DEFAULT_MAX_AGE))) {
            return ", STALE: older than " + org.quiver.spi.discovery.EndpointRecord.DEFAULT_MAX_AGE.toHours() + " h, a dial refuses it";
        }
        return "";
    }

    @Descriptor("ask every discovery provider for a peer at once: what each returns, and how fast")
    public String discover(@Descriptor("the peer's id") String peer) throws InterruptedException {
        EndpointId id = EndpointId.parse(peer);
        Map<org.quiver.spi.discovery.Discovery, String> providers = Map.copyOf(discoveries);
        if (providers.isEmpty()) {
            throw new IllegalStateException(discovery());
        }
        Map<String, StringBuilder> answers = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(providers.size());
        long t0 = System.nanoTime();
        java.util.List<org.quiver.spi.discovery.Lookup> lookups = new java.util.ArrayList<>();
        for (Map.Entry<org.quiver.spi.discovery.Discovery, String> e : providers.entrySet()) {
            String name = e.getValue();
            StringBuilder out = answers.computeIfAbsent(name, k -> new StringBuilder());
            java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
            Runnable finish = () -> {
                if (over.compareAndSet(false, true)) {
                    done.countDown();
                }
            };
            try {
                lookups.add(e.getKey().resolve(id, new org.quiver.spi.discovery.DiscoveryListener() {
                    @Override
                    public void found(org.quiver.spi.discovery.DiscoveryItem item) {
                        synchronized (out) {
                            out.append(String.format(Locale.ROOT, "found in %.1f ms: %s (as of %s%s)%s; ", (System.nanoTime() - t0) / 1e6,
                                    item.addr(), item.updated(), freshness(item, java.time.Instant.now()),
                                    item.addr().id().equals(id) ? "" : " ABOUT ANOTHER ID"));
                        }
                    }

                    @Override
                    public void completed() {
                        synchronized (out) {
                            out.append(String.format(Locale.ROOT, "done in %.1f ms", (System.nanoTime() - t0) / 1e6));
                        }
                        finish.run();
                    }

                    @Override
                    public void failed(Throwable cause) {
                        synchronized (out) {
                            out.append(String.format(Locale.ROOT, "failed in %.1f ms: %s", (System.nanoTime() - t0) / 1e6, cause.getMessage()));
                        }
                        finish.run();
                    }
                }));
            } catch (RuntimeException ex) {
                synchronized (out) {
                    out.append("failed: ").append(ex);
                }
                finish.run();
            }
        }
        boolean all = done.await(Protocols.TIMEOUT.toSeconds() / 3, java.util.concurrent.TimeUnit.SECONDS);
        for (org.quiver.spi.discovery.Lookup l : lookups) {
            if (l != null) {
                l.cancel();
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String name : new java.util.TreeSet<>(answers.keySet())) {
            String text;
            StringBuilder out = answers.get(name);
            synchronized (out) {
                text = out.length() == 0 ? "no answer within " + Protocols.TIMEOUT.toSeconds() / 3 + " s" : out.toString();
            }
            lastDiscovered.put(name, id.shortString() + ": " + text);
            sb.append(String.format(Locale.ROOT, "%-8s %s%n", name, text));
        }
        if (!all) {
            sb.append("(some providers did not finish in time)\n");
        }
        return sb.toString().stripTrailing();
    }

    private volatile BuiltinHandlers.FileReceiver files;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setFiles(BuiltinHandlers.FileReceiver f) {
        this.files = f;
    }

    void unsetFiles(BuiltinHandlers.FileReceiver f) {
        if (files == f) {
            files = null;
        }
    }

    private FilePolicy filePolicy() {
        BuiltinHandlers.FileReceiver f = files;
        if (f == null) {
            throw new IllegalStateException("This node receives no files: the file receiver (org.quiver.files) is not active");
        }
        return f.policy();
    }

    @Descriptor("who this node takes files from (files are opt-in), and its limits")
    public String accept() {
        FilePolicy p = filePolicy();
        FilePolicy.Limits l = p.limits();
        StringBuilder sb = new StringBuilder();
        java.util.Set<EndpointId> ids = p.accepted();
        sb.append(ids.isEmpty() ? "files are taken from nobody" : "files are taken from: " + ids.stream().map(EndpointId::toString)
                .sorted().collect(java.util.stream.Collectors.joining(", ")));
        p.acceptedOnce().forEach((id, n) -> sb.append("\none ").append(n == 1 ? "file" : n + " files").append(" from ").append(id));
        sb.append(String.format(Locale.ROOT, "%nlimits: %d MiB a file, %d MiB per peer, %d MiB in all, %d MiB kept free, %d at once; into %s",
                l.maxFileBytes() >> 20, l.perPeerBytes() >> 20, l.totalBytes() >> 20, l.minFreeBytes() >> 20, l.maxTransfers(), p.folder()));
        return sb.toString();
    }

    @Descriptor("take files from a peer from now on (until the node restarts; accept in org.quiver.files makes it lasting)")
    public String accept(@Descriptor("the peer's id") String id) {
        EndpointId peer = EndpointId.parse(id);
        filePolicy().accept(peer);
        return "files from " + peer.shortString() + " are taken";
    }

    @Descriptor("--once ID: take one file from a peer (its next transfer); --no ID: take none from it any more")
    public String accept(@Descriptor("--once or --no") String option, @Descriptor("the peer's id") String id) {
        EndpointId peer = EndpointId.parse(id);
        switch (option) {
            case "--once" -> {
                filePolicy().acceptOnce(peer);
                return "the next file from " + peer.shortString() + " is taken";
            }
            case "--no" -> {
                filePolicy().refuse(peer);
                return "files from " + peer.shortString() + " are refused";
            }
            default -> throw new IllegalArgumentException("usage: quiver:accept [--once | --no] ID");
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setRelayServer(org.quiver.spi.relay.RelayServerInfo r) {
        this.relayServer = r;
    }

    void unsetRelayServer(org.quiver.spi.relay.RelayServerInfo r) {
        if (this.relayServer == r) {
            this.relayServer = null;
        }
    }

    @Descriptor("list the relays this node uses: state, latency, home (the one its ticket names), last problem")
    public String relay() {
        java.util.List<org.quiver.api.RelayStatus> relays = endpoint().relays();
        if (relays.isEmpty()) {
            throw new IllegalStateException("This node uses no relay: configure one in conf/org.quiver.relay.client-<name>.cfg"
                    + " (url = ws://host:3340/relay), with the org.quiver.relay.client bundle installed");
        }
        StringBuilder sb = new StringBuilder();
        for (org.quiver.api.RelayStatus r : relays) {
            sb.append(r.home() ? "* " : "  ").append(r.url()).append("  ").append(r.state())
                    .append(r.latency().map(l -> String.format(Locale.ROOT, "  latency %.2f ms", l.toNanos() / 1e6)).orElse(""))
                    .append(r.problem().isEmpty() ? "" : "  (" + r.problem() + ")").append('\n');
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("print this node's state: id, bound addresses, home relay, connections, and the relay server it runs, if any")
    public String status() {
        StringBuilder sb = new StringBuilder();
        sb.append("id: ").append(identity().id()).append('\n');
        Endpoint e = endpoint;
        if (e == null) {
            sb.append("endpoint: not active\n");
        } else {
            sb.append("bound: ").append(e.boundAddresses().get()).append('\n');
            sb.append("addresses: ").append(e.addr().get().directAddresses()).append(" (reflexive ones, as STUN saw them, first)\n");
            sb.append("home relay: ").append(e.addr().get().relayUrl().map(Object::toString).orElse("none")).append('\n');
            sb.append("last network change: ").append(e.lastNetworkChange().map(Object::toString).orElse("none since the node started"))
                    .append('\n');
            sb.append("connections: ").append(e.connections().size()).append('\n');
            java.util.Set<org.quiver.api.EndpointId> allowed = e.allowed();
            sb.append("accepts connections from: ").append(allowed.isEmpty() ? "anyone (no allow-list; set allow in org.quiver.endpoint)"
                    : allowed.size() + " allowed peer" + (allowed.size() == 1 ? "" : "s") + ": " + allowed.stream()
                    .map(org.quiver.api.EndpointId::shortString).sorted().collect(java.util.stream.Collectors.joining(", "))).append('\n');
        }
        org.quiver.spi.relay.RelayServerInfo r = relayServer;
        if (r != null) {
            sb.append("relay server: ").append(r.url()).append(r.stunAddress().isEmpty() ? "" : ", STUN at " + r.stunAddress())
                    .append(": ").append(r.status()).append('\n');
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("connect to a peer and keep the connection (prints its id, path and round-trip time)")
    public String connect(@Descriptor("the peer's ticket (from its quiver:addr), or its id") String peer) throws Exception {
        return connect(peer, 0);
    }

    @Descriptor("connect to a peer and keep the connection; if it runs through a relay, wait up to the given seconds for a direct "
            + "path (hole punching) and say how long that took")
    public String connect(@Descriptor("the peer's ticket (from its quiver:addr), or its id") String peer,
            @Descriptor("seconds to wait for a direct path (0: do not wait)") int waitDirectSeconds) throws Exception {
        if (waitDirectSeconds < 0 || waitDirectSeconds > 600) {
            throw new IllegalArgumentException("seconds to wait for a direct path must be 0 to 600");
        }
        long start = System.nanoTime();
        Connection c = connection(peer, Protocols.PING);
        long connected = System.nanoTime() - start;
        long rtt = Protocols.ping(c);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "connected to %s via %s in %d ms, rtt %.2f ms", c.remoteId(),
                c.path().get(), connected / 1_000_000, rtt / 1e6));
        if (waitDirectSeconds > 0) {
            long deadline = start + java.util.concurrent.TimeUnit.SECONDS.toNanos(waitDirectSeconds);
            while (c.path().get().kind() != org.quiver.api.PathKind.DIRECT && System.nanoTime() < deadline
                    && !c.closed().toCompletableFuture().isDone()) {
                Thread.sleep(10);
            }
            org.quiver.api.PathInfo now = c.path().get();
            out.append('\n').append(now.kind() == org.quiver.api.PathKind.DIRECT
                    ? String.format(Locale.ROOT, "direct after %d ms: %s", (System.nanoTime() - start) / 1_000_000, now)
                    : "still " + now + " after " + waitDirectSeconds + " s (no direct path)");
        }
        return out.toString();
    }

    @Descriptor("list the live connections: peer id, protocol, who dialed, TLS key exchange, handshake (full, resumed, 0-RTT), path")
    public String peers() {
        Collection<Connection> all = endpoint().connections();
        if (all.isEmpty()) {
            return "no connections";
        }
        StringBuilder out = new StringBuilder();
        for (Connection c : all) {
            out.append(String.format(Locale.ROOT, "%s  %-14s %-8s %-14s %-7s %s%n", c.remoteId(), c.alpn(), c.isDialer() ? "dialed" : "accepted",
                    c.keyExchange(), c.earlyData() ? "0-RTT" : c.resumed() ? "resumed" : "full", c.path().get()));
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("list every candidate path to a peer: kind, address, state, RTT, last probe and answer; * marks the selected one")
    public String paths(@Descriptor("the peer's id or ticket") String peer) {
        EndpointId id = peer.startsWith(Ticket.PREFIX) ? EndpointAddr.fromTicket(peer).id() : EndpointId.parse(peer);
        java.util.List<org.quiver.api.PathStatus> all = endpoint().paths(id);
        if (all.isEmpty()) {
            return "no paths to " + id.shortString() + " (no connection to it?)";
        }
        return formatPaths(all, java.time.Instant.now());
    }

    static String formatPaths(java.util.List<org.quiver.api.PathStatus> all, java.time.Instant now) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "  %-6s %-42s %-10s %9s %10s %10s%n",
                "KIND", "REMOTE", "STATE", "RTT", "PROBED", "ANSWERED"));
        for (org.quiver.api.PathStatus p : all) {
            out.append(String.format(Locale.ROOT, "%s %-6s %-42s %-10s %9s %10s %10s%n", p.selected() ? "*" : " ",
                    p.kind().name().toLowerCase(Locale.ROOT), p.remote(), p.state().name().toLowerCase(Locale.ROOT),
                    p.rtt().map(r -> String.format(Locale.ROOT, "%.2fms", r.toNanos() / 1e6)).orElse("-"),
                    p.lastProbe().map(t -> ago(t, now)).orElse("never"), p.lastReply().map(t -> ago(t, now)).orElse("never")));
        }
        return out.toString().stripTrailing();
    }

    private static String ago(java.time.Instant t, java.time.Instant now) {
        long ms = Math.max(0, java.time.Duration.between(t, now).toMillis());
        return ms < 10_000 ? String.format(Locale.ROOT, "%.1fs ago", ms / 1000.0) : (ms / 1000) + "s ago";
    }

    @Descriptor("measure the round-trip time to a peer over the built-in echo protocol")
    public String ping(@Descriptor("the peer's ticket, or the id of a peer connected before") String peer) throws Exception {
        return ping(peer, 3);
    }

    @Descriptor("measure the round-trip time to a peer over the built-in echo protocol")
    public String ping(@Descriptor("the peer's ticket, or the id of a peer connected before") String peer,
            @Descriptor("how many pings") int count) throws Exception {
        if (count < 1 || count > 1000) {
            throw new IllegalArgumentException("count must be 1 to 1000");
        }
        Connection c = connection(peer, Protocols.PING);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            out.append(String.format(Locale.ROOT, "pong from %s: rtt %.2f ms%n", c.remoteId().shortString(), Protocols.ping(c) / 1e6));
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("send a text message; the receiving node prints it")
    public String send(@Descriptor("the peer's ticket, or the id of a peer connected before") String peer,
            @Descriptor("the message") String... words) throws Exception {
        Connection c = connection(peer, Protocols.MESSAGE);
        Protocols.message(c, String.join(" ", words));
        return "delivered to " + c.remoteId().shortString();
    }

    @Descriptor("send a file; the receiver checks its SHA-256 and stores it in its node folder's received/")
    public String sendfile(@Descriptor("the peer's ticket, or the id of a peer connected before") String peer,
            @Descriptor("the file to send") String file) throws Exception {
        Path path = SessionFolder.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("no such file: " + path);
        }
        long size = Files.size(path);
        Connection c = connection(peer, Protocols.FILE);
        Progress progress = new Progress(System.out, size);
        long t0 = System.nanoTime();
        String answer = Protocols.sendFile(c, path, progress);
        progress.done();
        double seconds = (System.nanoTime() - t0) / 1e9;
        return String.format(Locale.ROOT, "sent %s (%d bytes) in %.1f s, %.1f MB/s; the peer %s", path.getFileName(), size,
                seconds, size / 1e6 / Math.max(seconds, 1e-9), answer);
    }

    /** A connection to {@code peer} (ticket or known id) with {@code alpn}: a live one is reused. */
    private Connection connection(String peer, String alpn) throws Exception {
        Endpoint e = endpoint();
        EndpointAddr addr;
        if (peer.startsWith(Ticket.PREFIX)) {
            addr = EndpointAddr.fromTicket(peer);
            known.put(addr.id(), addr);
        } else {
            EndpointId id = EndpointId.parse(peer);
            addr = known.get(id);
            if (addr == null && (!discoveries.isEmpty() || !e.relays().isEmpty())) {
                for (Connection c : e.connections()) {
                    if (c.remoteId().equals(id) && c.alpn().equals(alpn) && c.isDialer() && !c.closed().toCompletableFuture().isDone()) {
                        return c;
                    }
                }
                if (discoveries.isEmpty()) {
                    awaitHomeRelay(e); // by id alone, through our home relay
                }
                // the endpoint asks every discovery provider, then tries its home relay
                return Blocking.await(e.connect(id, alpn), Protocols.TIMEOUT);
            }
            if (addr == null) {
                throw new IllegalArgumentException("no address known for " + id.shortString()
                        + ", no discovery provider and no relay to reach it by id: give its ticket (quiver:addr on that node)");
            }
        }
        for (Connection c : e.connections()) {
            if (c.remoteId().equals(addr.id()) && c.alpn().equals(alpn) && c.isDialer()
                    && !c.closed().toCompletableFuture().isDone()) {
                return c;
            }
        }
        return Blocking.await(e.connect(addr, alpn), Protocols.TIMEOUT);
    }

    /** A node that has just started may not be at its relay yet: waits for it a little. */
    private static void awaitHomeRelay(Endpoint e) throws InterruptedException {
        long deadline = System.nanoTime() + Protocols.TIMEOUT.toNanos();
        while (e.addr().get().relayUrl().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not connected to any relay within " + Protocols.TIMEOUT.toSeconds()
                        + " s, so a peer cannot be reached by id alone (quiver:relay shows why)");
            }
            Thread.sleep(50);
        }
    }

    private Endpoint endpoint() {
        Endpoint e = endpoint;
        if (e == null) {
            throw new IllegalStateException("This node has no endpoint: the org.quiver.endpoint component is not active "
                    + "(see the errors printed at start-up)");
        }
        return e;
    }

    @Descriptor("print this node's EndpointId (its Ed25519 public key, base32)")
    public String id() {
        return identity().id().toString();
    }

    @Descriptor("print this node's ticket: its id plus the relay and direct addresses it is reachable at")
    public String addr() {
        identity();
        return endpoint().addr().get().toTicket(); // no endpoint: say why, never a ticket nobody can reach
    }

    private LocalIdentity identity() {
        LocalIdentity i = identity;
        if (i == null) {
            throw new IllegalStateException(NO_IDENTITY);
        }
        return i;
    }
}
