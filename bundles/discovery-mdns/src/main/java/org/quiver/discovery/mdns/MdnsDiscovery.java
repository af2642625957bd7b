package org.quiver.discovery.mdns;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import org.quiver.api.EndpointId;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;
import org.quiver.spi.discovery.Lookup;

/**
 * LAN discovery with multicast DNS (JmDNS): this endpoint is a {@value #TYPE} service instance named by its
 * id, whose TXT record holds its signed {@link EndpointRecord} (keys {@code r0}, {@code r1}, ... of at
 * most 200 characters, and {@code v=1}); a lookup asks the link for the instance named by the peer's id.
 * What the link says is checked like any record: signature, id, age.
 *
 * <p>Owns one JmDNS responder and one worker thread (JmDNS calls block); {@link #close()} stops both.
 */
public final class MdnsDiscovery implements Discovery, AutoCloseable {
    /** The DNS-SD service type. */
    public static final String TYPE = "_quiver._udp.local.";
    /** The provider's name in results and shell output. */
    public static final String NAME = "mdns";
    private static final int CHUNK = 200;

    private final JmDNS jmdns;
    private final Duration timeout;
    private final Duration maxAge;
    private final Clock clock;
    private final ExecutorService worker;
    private final AtomicReference<ServiceInfo> published = new AtomicReference<>();
    private final AtomicReference<String> lastPublish = new AtomicReference<>("not published yet");
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A responder on the interface of {@code bind} (null: JmDNS's choice), answering lookups within
     * {@code timeout} and refusing records older than {@code maxAge}.
     */
    public MdnsDiscovery(InetAddress bind, Duration timeout, Duration maxAge) throws IOException {
        this(bind, timeout, maxAge, Clock.systemUTC());
    }

    MdnsDiscovery(InetAddress bind, Duration timeout, Duration maxAge, Clock clock) throws IOException {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        this.clock = clock;
        this.jmdns = bind == null ? JmDNS.create() : JmDNS.create(bind, "quiver-" + Long.toHexString(System.nanoTime()));
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(256), r -> {
            Thread t = new Thread(r, "quiver-mdns");
            t.setDaemon(true);
            return t;
        });
        this.worker = pool;
    }

    /** The TXT properties that carry {@code record}. */
    static Map<String, String> properties(EndpointRecord record) {
        String text = record.encode();
        Map<String, String> props = new LinkedHashMap<>();
        props.put("v", "1");
        for (int i = 0, n = 0; i < text.length(); i += CHUNK, n++) {
            props.put("r" + n, text.substring(i, Math.min(text.length(), i + CHUNK)));
        }
        return props;
    }

    /** The record text a service's TXT properties carry, or null. */
    static String recordText(ServiceInfo info) {
        if (info == null || !"1".equals(info.getPropertyString("v"))) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (int n = 0; n < 64; n++) {
            String part = info.getPropertyString("r" + n);
            if (part == null) {
                break;
            }
            sb.append(part);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** What the last publication did. */
    public String lastPublish() {
        return lastPublish.get();
    }

    /** Announces this endpoint on the link (replacing an earlier announcement), on the worker. */
    @Override
    public void publish(EndpointRecord self) {
        if (closed.get()) {
            return;
        }
        try {
            worker.execute(() -> publishNow(self));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            lastPublish.set("not published: the worker is busy or closed");
        }
    }

    /** Announces {@code self} now (blocks while JmDNS probes the name, about a second). */
    public void publishNow(EndpointRecord self) {
        int port = self.addr().directAddresses().isEmpty() ? 9 : self.addr().directAddresses().get(0).getPort();
        ServiceInfo info = ServiceInfo.create(TYPE, self.addr().id().toString(), port, 0, 0, properties(self));
        try {
            ServiceInfo old = published.getAndSet(info);
            if (old != null) {
                jmdns.unregisterService(old);
            }
            jmdns.registerService(info);
            lastPublish.set("announced " + info.getQualifiedName() + " at " + Instant.now(clock));
        } catch (IOException | RuntimeException e) {
            lastPublish.set("announcing failed: " + e);
        }
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        AtomicBoolean cancelled = new AtomicBoolean();
        try {
            worker.execute(() -> {
                if (cancelled.get()) {
                    listener.completed();
                    return;
                }
                try {
                    ServiceInfo info = jmdns.getServiceInfo(TYPE, id.toString(), true, timeout.toMillis());
                    String text = recordText(info);
                    if (text == null) {
                        listener.completed();
                        return;
                    }
                    EndpointRecord r;
                    try {
                        r = EndpointRecord.decode(text).check(id, Instant.now(clock), maxAge);
                    } catch (IllegalArgumentException bad) {
                        listener.failed(new IOException("refused the record the link gave for " + id.shortString() + ": " + bad.getMessage()));
                        return;
                    }
                    listener.found(r.item(NAME));
                    listener.completed();
                } catch (RuntimeException e) {
                    listener.failed(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            listener.failed(new IOException("mDNS lookups are queued up or the provider is closed"));
        }
        return () -> cancelled.set(true);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        worker.shutdownNow();
        try {
            jmdns.unregisterAllServices();
            jmdns.close();
        } catch (IOException | RuntimeException e) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "MdnsDiscovery{" + jmdns.getName() + ", " + lastPublish.get() + "}";
    }
}
