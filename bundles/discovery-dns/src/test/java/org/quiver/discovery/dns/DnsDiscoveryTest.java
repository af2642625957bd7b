package org.quiver.discovery.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Update;

/** Against a real bind9: publish by TSIG-signed dynamic update, resolve, and refuse every kind of bad record. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsDiscoveryTest {
    @TempDir
    static Path dir;
    private static Bind9 bind;

    @BeforeAll
    static void start() throws Exception {
        bind = new Bind9(dir);
    }

    @AfterAll
    static void stop() {
        bind.close();
    }

    private static DnsDiscovery.Config config(DnsDiscovery.TsigKey key) {
        return new DnsDiscovery.Config(DnsDiscovery.Config.zone(Bind9.ZONE), bind.address(), bind.address(), key, Duration.ofSeconds(60),
                Duration.ofSeconds(2), Duration.ofHours(24));
    }

    private static DnsDiscovery dns() {
        return new DnsDiscovery(config(new DnsDiscovery.TsigKey(Bind9.KEY, "hmac-sha256", bind.secret())));
    }

    /** What a lookup gave: its results, and how it ended. */
    private static final class Result implements DiscoveryListener {
        final List<DiscoveryItem> found = new ArrayList<>();
        final CompletableFuture<String> end = new CompletableFuture<>();

        @Override
        public synchronized void found(DiscoveryItem item) {
            found.add(item);
        }

        @Override
        public void completed() {
            end.complete("completed");
        }

        @Override
        public void failed(Throwable cause) {
            end.complete("failed: " + cause.getMessage());
        }
    }

    private static Result resolve(DnsDiscovery d, org.quiver.api.EndpointId id) throws Exception {
        Result r = new Result();
        d.resolve(id, r);
        r.end.get(10, TimeUnit.SECONDS);
        return r;
    }

    private static EndpointAddr addr(LocalIdentity who, int port) throws Exception {
        return EndpointAddr.of(who.id(), URI.create("ws://198.18.0.1:3340/relay"),
                List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.2"), port)));
    }

    /** Writes {@code text} as the TXT record of {@code id}'s name, as an attacker with write access to the zone could. */
    private static void plant(org.quiver.api.EndpointId id, String text) throws Exception {
        Update u = new Update(DnsDiscovery.Config.zone(Bind9.ZONE));
        u.replace(new TXTRecord(dns().nameOf(id), DClass.IN, 60, DnsDiscovery.split(text)));
        SimpleResolver r = new SimpleResolver(bind.address());
        r.setTSIGKey(new DnsDiscovery.TsigKey(Bind9.KEY, "hmac-sha256", bind.secret()).tsig());
        assertThat(r.send(u).getRcode()).isZero();
    }

    @Test
    void publishedRecordsAreFoundByIdWithinMilliseconds() throws Exception {
        LocalIdentity alice = Identities.ephemeral();
        DnsDiscovery d = dns();
        EndpointRecord rec = EndpointRecord.sign(addr(alice, 4433), Instant.now(), alice::sign);
        d.publishAsync(rec).get(10, TimeUnit.SECONDS);
        assertThat(d.lastPublish()).startsWith("published _quiver." + alice.id() + "." + Bind9.ZONE + ".");
        long t0 = System.nanoTime();
        Result r = resolve(d, alice.id());
        long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
        assertThat(r.end.get()).isEqualTo("completed");
        assertThat(r.found).singleElement().satisfies(i -> {
            assertThat(i.addr()).isEqualTo(addr(alice, 4433));
            assertThat(i.provider()).isEqualTo("dns");
        });
        System.out.println("dns lookup against bind9 on loopback: " + micros + " us");

        // a new address replaces the old record (one TXT record per endpoint)
        d.publishAsync(EndpointRecord.sign(addr(alice, 5555), Instant.now(), alice::sign)).get(10, TimeUnit.SECONDS);
        assertThat(resolve(d, alice.id()).found).singleElement().satisfies(i -> assertThat(i.addr()).isEqualTo(addr(alice, 5555)));
        // nobody under that name
        Result none = resolve(d, Identities.ephemeral().id());
        assertThat(none.found).isEmpty();
        assertThat(none.end.get()).isEqualTo("completed");
    }

    @Test
    void forgedMismatchedStaleAndGarbageRecordsAreRefused() throws Exception {
        DnsDiscovery d = dns();
        LocalIdentity victim = Identities.ephemeral();
        LocalIdentity mallory = Identities.ephemeral();
        // forged: the victim's ticket with mallory's signature
        EndpointRecord mine = EndpointRecord.sign(addr(mallory, 6666), Instant.now(), mallory::sign);
        EndpointRecord theirs = EndpointRecord.sign(addr(victim, 4433), Instant.now(), victim::sign);
        String[] m = mine.encode().split(" ");
        String[] t = theirs.encode().split(" ");
        plant(victim.id(), "v1 " + addr(victim, 6666).toTicket() + " " + t[2] + " " + m[3]);
        assertThat(resolve(d, victim.id()).end.get()).contains("refused").contains("forged");
        // mismatched: mallory's genuine record under the victim's name
        plant(victim.id(), mine.encode());
        assertThat(resolve(d, victim.id()).end.get()).contains("refused").contains("is about " + mallory.id().shortString());
        // stale: the victim's genuine record, two days old
        plant(victim.id(), EndpointRecord.sign(addr(victim, 4433), Instant.now().minus(Duration.ofDays(2)), victim::sign).encode());
        assertThat(resolve(d, victim.id()).end.get()).contains("refused").contains("stale");
        // garbage
        plant(victim.id(), "v=spf1 -all");
        assertThat(resolve(d, victim.id()).end.get()).contains("refused").contains("not a Quiver endpoint record");
        // and the genuine one is found again
        plant(victim.id(), theirs.encode());
        assertThat(resolve(d, victim.id()).found).hasSize(1);
        // a resolver whose clock is three days ahead sees it as stale
        DnsDiscovery future = new DnsDiscovery(config(null), Clock.fixed(Instant.now().plus(Duration.ofDays(3)), ZoneOffset.UTC));
        assertThat(resolve(future, victim.id()).end.get()).contains("stale");
    }

    @Test
    void aWrongKeyIsRefusedByTheServerAndSaidSo() throws Exception {
        LocalIdentity alice = Identities.ephemeral();
        DnsDiscovery wrong = new DnsDiscovery(config(new DnsDiscovery.TsigKey(Bind9.KEY, "hmac-sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")));
        assertThatThrownBy(() -> wrong.publishAsync(EndpointRecord.sign(addr(alice, 1), Instant.now(), alice::sign)).get(10, TimeUnit.SECONDS))
                .isInstanceOf(java.util.concurrent.ExecutionException.class);
        assertThat(wrong.lastPublish()).contains("failed");
        assertThat(resolve(wrong, alice.id()).found).as("nothing was written").isEmpty();
        DnsDiscovery readOnly = new DnsDiscovery(config(null));
        readOnly.publish(EndpointRecord.sign(addr(alice, 1), Instant.now(), alice::sign));
        assertThat(readOnly.lastPublish()).contains("publishing is off");
        assertThatThrownBy(() -> DnsDiscovery.Config.zone("bad..zone")).hasMessageContaining("not a DNS zone name");
        assertThat(DnsDiscovery.split("x".repeat(600))).extracting(String::length).containsExactly(255, 255, 90);
    }

    @Test
    void anUnreachableServerFailsTheLookupInTime() throws Exception {
        DnsDiscovery d = new DnsDiscovery(new DnsDiscovery.Config(DnsDiscovery.Config.zone(Bind9.ZONE),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), null, null, Duration.ofSeconds(60), Duration.ofMillis(300),
                Duration.ofHours(24)));
        long t0 = System.nanoTime();
        Result r = resolve(d, Identities.ephemeral().id());
        assertThat(r.end.get()).startsWith("failed");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }
}
