package org.quiver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.quiver.api.PathKind;
import org.quiver.spi.metrics.MetricsExposition;
import org.quiver.spi.metrics.TransportMetrics;

/**
 * The transport's metrics, recorded in a Micrometer {@code PrometheusMeterRegistry} and exposed in the
 * Prometheus text format (0.0.4). Everything the transport calls per datagram is a lookup in a small
 * array and an atomic add. Labels that come from outside (drop reasons, discovery providers, relay URLs)
 * are capped at {@link #MAX_LABEL_VALUES} values each; the rest count as {@code other}. Thread-safe.
 *
 * <pre>
 * quiver_connections_opened_total{path_kind,direction}   quiver_connections_closed_total{path_kind}
 * quiver_connections_active{path_kind}                   quiver_path_switches_total{from,to}
 * quiver_sent_bytes_total{path_kind}                     quiver_received_bytes_total{path_kind}
 * quiver_sent_datagrams_total{path_kind}                 quiver_received_datagrams_total{path_kind}
 * quiver_dropped_datagrams_total{reason}                 quiver_actor_ticks_total{loop}
 * quiver_holepunch_attempts_total                        quiver_holepunch_successes_total, _time_to_direct_seconds
 * quiver_discovery_lookups_total{provider,found}         quiver_discovery_lookup_seconds{provider}
 * quiver_relay_connects_total{relay}                     quiver_relay_connect_failures_total{relay}
 * quiver_buffer_dropped_messages_total, _bytes_total     quiver_buffer_expired_messages_total, _bytes_total
 * </pre>
 */
public final class PrometheusTransportMetrics implements TransportMetrics, MetricsExposition, AutoCloseable {
    /** Distinct values kept per outside label. */
    public static final int MAX_LABEL_VALUES = 64;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<PathKind, Counter> sentBytes = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Counter> sentDatagrams = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Counter> receivedBytes = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Counter> receivedDatagrams = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Counter> openedDialed = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Counter> openedAccepted = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Counter> closed = new EnumMap<>(PathKind.class);
    private final Map<PathKind, AtomicLong> active = new EnumMap<>(PathKind.class);
    private final Counter holePunchAttempts;
    private final Counter holePunchSuccesses;
    private final Timer timeToDirect;
    private final Counter bufferDroppedMessages;
    private final Counter bufferDroppedBytes;
    private final Counter bufferExpiredMessages;
    private final Counter bufferExpiredBytes;
    private final Map<String, Object> labelled = new ConcurrentHashMap<>();

    public PrometheusTransportMetrics() {
        for (PathKind k : PathKind.values()) {
            Tags kind = Tags.of("path_kind", label(k));
            sentBytes.put(k, Counter.builder("quiver.sent.bytes").description("UDP payload bytes sent").tags(kind).register(registry));
            sentDatagrams.put(k, Counter.builder("quiver.sent.datagrams").description("Datagrams sent").tags(kind).register(registry));
            receivedBytes.put(k, Counter.builder("quiver.received.bytes").description("UDP payload bytes received").tags(kind).register(registry));
            receivedDatagrams.put(k, Counter.builder("quiver.received.datagrams").description("Datagrams received").tags(kind).register(registry));
            openedDialed.put(k, Counter.builder("quiver.connections.opened").description("Connections whose handshake completed")
                    .tags(kind.and("direction", "dialed")).register(registry));
            openedAccepted.put(k, Counter.builder("quiver.connections.opened").description("Connections whose handshake completed")
                    .tags(kind.and("direction", "accepted")).register(registry));
            closed.put(k, Counter.builder("quiver.connections.closed").description("Connections closed").tags(kind).register(registry));
            AtomicLong live = new AtomicLong();
            io.micrometer.core.instrument.Gauge.builder("quiver.connections.active", live, AtomicLong::get)
                    .description("Connections open now").tags(kind).register(registry);
            active.put(k, live);
        }
        holePunchAttempts = Counter.builder("quiver.holepunch.attempts").description("Hole punching attempts").register(registry);
        holePunchSuccesses = Counter.builder("quiver.holepunch.successes").description("Hole punching successes").register(registry);
        timeToDirect = Timer.builder("quiver.holepunch.time.to.direct").description("From first packet to a direct path").register(registry);
        bufferDroppedMessages = Counter.builder("quiver.buffer.dropped.messages").description("Pending messages dropped on overflow").register(registry);
        bufferDroppedBytes = Counter.builder("quiver.buffer.dropped.bytes").description("Pending bytes dropped on overflow").register(registry);
        bufferExpiredMessages = Counter.builder("quiver.buffer.expired.messages").description("Pending messages expired").register(registry);
        bufferExpiredBytes = Counter.builder("quiver.buffer.expired.bytes").description("Pending bytes expired").register(registry);
    }

    private static String label(PathKind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }

    /** The meter for an outside label value, made once; beyond the cap, the {@code other} one. */
    @SuppressWarnings("unchecked")
    private <T> T labelled(String family, String value, Function<String, T> make) {
        Object m = labelled.get(family + '\u0000' + value);
        if (m == null) {
            String prefix = family + '\u0000';
            long count = labelled.keySet().stream().filter(k -> k.startsWith(prefix)).count();
            String v = count < MAX_LABEL_VALUES ? value : "other";
            m = labelled.computeIfAbsent(prefix + v, k -> make.apply(v));
        }
        return (T) m;
    }

    @Override
    public void connectionOpened(PathKind kind, boolean dialed) {
        (dialed ? openedDialed : openedAccepted).get(kind).increment();
        active.get(kind).incrementAndGet();
    }

    @Override
    public void connectionClosed(PathKind kind) {
        closed.get(kind).increment();
        active.get(kind).decrementAndGet();
    }

    @Override
    public void bytesSent(PathKind kind, long bytes) {
        sentBytes.get(kind).increment(bytes);
        sentDatagrams.get(kind).increment();
    }

    @Override
    public void bytesReceived(PathKind kind, long bytes) {
        receivedBytes.get(kind).increment(bytes);
        receivedDatagrams.get(kind).increment();
    }

    @Override
    public void datagramDropped(String reason) {
        this.<Counter>labelled("dropped", reason, r -> Counter.builder("quiver.dropped.datagrams")
                .description("Datagrams dropped and counted (malformed, no path, over a limit)").tag("reason", r).register(registry)).increment();
    }

    @Override
    public void pathSwitched(PathKind from, PathKind to) {
        this.<Counter>labelled("switch", label(from) + ">" + label(to), x -> Counter.builder("quiver.path.switches")
                .description("Moves of a peer's traffic to another path").tags("from", label(from), "to", label(to)).register(registry)).increment();
    }

    @Override
    public void handshake(String keyExchange, boolean resumed) {
        this.<Counter>labelled("kex", keyExchange + (resumed ? "/resumed" : "/full"), x -> Counter.builder("quiver.handshakes")
                .description("Completed handshakes by TLS key-exchange group, and whether they resumed a session")
                .tags("group", keyExchange, "resumed", String.valueOf(resumed)).register(registry)).increment();
    }

    @Override
    public void holePunchAttempt() {
        holePunchAttempts.increment();
    }

    @Override
    public void holePunchSuccess(Duration timeToDirect) {
        holePunchSuccesses.increment();
        this.timeToDirect.record(timeToDirect);
    }

    @Override
    public void discoveryLookup(String provider, Duration latency, boolean found) {
        this.<Counter>labelled("lookups-" + found, provider, p -> Counter.builder("quiver.discovery.lookups").description("Discovery lookups")
                .tags("provider", p, "found", String.valueOf(found)).register(registry)).increment();
        this.<Timer>labelled("lookup-time", provider, p -> Timer.builder("quiver.discovery.lookup").description("Discovery lookup latency")
                .tag("provider", p).register(registry)).record(latency);
    }

    @Override
    public void relayConnected(String relay) {
        this.<Counter>labelled("relay-ok", relay, r -> Counter.builder("quiver.relay.connects").description("Relay connections made")
                .tag("relay", r).register(registry)).increment();
    }

    @Override
    public void relayConnectFailed(String relay) {
        this.<Counter>labelled("relay-failed", relay, r -> Counter.builder("quiver.relay.connect.failures").description("Relay connections that failed")
                .tag("relay", r).register(registry)).increment();
    }

    @Override
    public void bufferDropped(long bytes) {
        bufferDroppedMessages.increment();
        bufferDroppedBytes.increment(bytes);
    }

    @Override
    public void bufferExpired(long bytes) {
        bufferExpiredMessages.increment();
        bufferExpiredBytes.increment(bytes);
    }

    @Override
    public void eventLoopTick(String loop) {
        this.<Counter>labelled("tick", loop, l -> Counter.builder("quiver.actor.ticks").description("Runs of periodic event-loop work")
                .tag("loop", l).register(registry)).increment();
    }

    @Override
    public String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    @Override
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        registry.close();
    }
}
