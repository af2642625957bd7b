package org.quiver.benchmarks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.discovery.configured.StaticDiscovery;
import org.quiver.discovery.dns.Bind9;
import org.quiver.discovery.dns.DnsDiscovery;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;

/**
 * Lookup latency per discovery provider, in one JVM: static (a table in memory) and DNS (dnsjava against a
 * real bind9 on loopback, signature and age checked), N lookups each after a warm-up; median and p99.
 */
public final class DiscoveryLatency {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args.length > 0 ? args[0] : "500");
        LocalIdentity peer = Identities.ephemeral();
        EndpointAddr addr = EndpointAddr.of(peer.id(), null, List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.2"), 4433)));
        StaticDiscovery table = new StaticDiscovery();
        table.put(addr);
        Path dir = Files.createTempDirectory("quiver-bench-bind");
        try (Bind9 bind = new Bind9(dir)) {
            DnsDiscovery dns = new DnsDiscovery(new DnsDiscovery.Config(DnsDiscovery.Config.zone(Bind9.ZONE), bind.address(), bind.address(),
                    new DnsDiscovery.TsigKey(Bind9.KEY, "hmac-sha256", bind.secret()), Duration.ofSeconds(60), Duration.ofSeconds(2),
                    Duration.ofHours(24)));
            dns.publishAsync(EndpointRecord.sign(addr, Instant.now(), peer::sign)).get(10, TimeUnit.SECONDS);
            long[] s = measure(table, peer, n);
            long[] d = measure(dns, peer, n);
            System.out.printf("%d lookups per provider after %d warm-up, loopback, %d cores%n", n, n / 5, Runtime.getRuntime().availableProcessors());
            System.out.printf("static   median %8.1f us   p99 %8.1f us%n", s[0] / 1e3, s[1] / 1e3);
            System.out.printf("dns      median %8.1f us   p99 %8.1f us   (bind9, TXT, Ed25519 check)%n", d[0] / 1e3, d[1] / 1e3);
            System.out.printf("ratio dns / static (median) %8.0f%n", (double) d[0] / s[0]);
        }
    }

    /** Median and p99 of {@code n} lookups (nanoseconds), after n/5 unmeasured ones. */
    private static long[] measure(Discovery d, LocalIdentity peer, int n) throws Exception {
        for (int i = 0; i < n / 5; i++) {
            once(d, peer);
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = once(d, peer);
        }
        Arrays.sort(t);
        return new long[] {t[n / 2], t[(int) (n * 0.99)]};
    }

    private static long once(Discovery d, LocalIdentity peer) throws Exception {
        CompletableFuture<DiscoveryItem> found = new CompletableFuture<>();
        long t0 = System.nanoTime();
        d.resolve(peer.id(), new DiscoveryListener() {
            @Override
            public void found(DiscoveryItem item) {
                found.complete(item);
            }

            @Override
            public void completed() {
                found.completeExceptionally(new IllegalStateException("not found"));
            }

            @Override
            public void failed(Throwable cause) {
                found.completeExceptionally(cause);
            }
        });
        found.get(10, TimeUnit.SECONDS);
        return System.nanoTime() - t0;
    }
}
