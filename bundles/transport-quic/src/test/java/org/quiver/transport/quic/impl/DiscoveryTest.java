package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;
import org.quiver.spi.discovery.Lookup;

/** Dialing by id through discovery providers: all asked at once, the first usable answer dials, misbehaving ones never block. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiscoveryTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<QuicEndpoint> endpoints = new java.util.ArrayList<>();

    @AfterEach
    void close() {
        endpoints.forEach(QuicEndpoint::close);
    }

    /** A shared in-memory registry of the signed records endpoints publish (what DNS is, in miniature). */
    static final class Registry implements Discovery {
        final Map<EndpointId, String> records = new ConcurrentHashMap<>();

        @Override
        public void publish(EndpointRecord self) {
            records.put(self.addr().id(), self.encode());
        }

        @Override
        public Lookup resolve(EndpointId id, DiscoveryListener listener) {
            String text = records.get(id);
            if (text != null) {
                listener.found(EndpointRecord.decode(text).check(id, Instant.now(), EndpointRecord.DEFAULT_MAX_AGE).item("memory"));
            }
            listener.completed();
            return () -> { };
        }
    }

    private QuicEndpoint endpoint(EndpointBuilder b) throws QuiverException {
        QuicEndpoint e = b.bind(LO).handler("d/1", c -> { }).lookupTimeout(Duration.ofSeconds(2)).build();
        endpoints.add(e);
        return e;
    }

    @Test
    void aPeerThatPublishedIsDialedByIdAlone() throws Exception {
        Registry registry = new Registry();
        QuicEndpoint b = endpoint(QuicEndpoint.builder(Identities.ephemeral()).discovery(registry, "memory"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!registry.records.containsKey(b.id()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(EndpointRecord.decode(registry.records.get(b.id())).addr()).isEqualTo(b.addr().get());
        QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()).discovery(registry, "memory"));
        Connection c = Blocking.await(a.connect(b.id(), "d/1"), Duration.ofSeconds(10));
        assertThat(c.remoteId()).isEqualTo(b.id());
        c.close();
    }

    @Test
    void misbehavingProvidersNeverBlockTheOneThatAnswers() throws Exception {
        Registry registry = new Registry();
        QuicEndpoint b = endpoint(QuicEndpoint.builder(Identities.ephemeral()).discovery(registry, "memory"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!registry.records.containsKey(b.id()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        EndpointId someoneElse = Identities.ephemeral().id();
        Discovery hangs = (id, l) -> () -> { };
        Discovery throwsUp = (id, l) -> {
            throw new IllegalStateException("broken provider");
        };
        Discovery liar = (id, l) -> {
            l.found(new DiscoveryItem(EndpointAddr.of(someoneElse, null, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9))),
                    "liar", Instant.now()));
            l.found(null);
            l.completed();
            return () -> { };
        };
        Discovery slow = (id, l) -> {
            new Thread(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                registry.resolve(id, l);
            }).start();
            return () -> { };
        };
        // a lookup timeout far beyond the wait below: if the providers that never answer held the dial up, it
        // would come at the timeout (60 s), and the 10 s wait fails
        QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).discovery(hangs, "hangs").discovery(throwsUp, "throws")
                .discovery(liar, "liar").discovery(slow, "slow").bind(LO).lookupTimeout(Duration.ofSeconds(60)).build();
        endpoints.add(a);
        Connection c = Blocking.await(a.connect(b.id(), "d/1"), Duration.ofSeconds(10));
        assertThat(c.remoteId()).isEqualTo(b.id());
    }

    @Test
    void aMonthLaterStaticPeersStillDialAndNetworkResultsAreStale() throws Exception {
        QuicEndpoint b = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        java.time.Clock monthAhead = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofDays(30));
        // configured now (by the real clock), dialed by an endpoint whose clock is 30 days ahead
        org.quiver.discovery.configured.StaticDiscovery configured = new org.quiver.discovery.configured.StaticDiscovery();
        configured.put(b.addr().get());
        QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()).clock(monthAhead).discovery(configured, "static"));
        Connection c = Blocking.await(a.connect(b.id(), "d/1"), Duration.ofSeconds(10));
        assertThat(c.remoteId()).isEqualTo(b.id());
        c.close();

        // a record from the network, signed now, is a month old to that endpoint: refused, saying why
        Registry registry = new Registry();
        QuicEndpoint b2 = endpoint(QuicEndpoint.builder(Identities.ephemeral()).discovery(registry, "memory"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!registry.records.containsKey(b2.id()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        QuicEndpoint late = endpoint(QuicEndpoint.builder(Identities.ephemeral()).clock(monthAhead).discovery(registry, "memory"));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Blocking.await(late.connect(b2.id(), "d/1"), Duration.ofSeconds(10))))
                .hasMessageContaining("memory=gave a stale result");
        // and the records that endpoint publishes carry its own clock's time
        QuicEndpoint published = endpoint(QuicEndpoint.builder(Identities.ephemeral()).clock(monthAhead).discovery(registry, "memory"));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!registry.records.containsKey(published.id()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(EndpointRecord.decode(registry.records.get(published.id())).timestamp())
                .isAfter(Instant.now().plus(Duration.ofDays(29)));
    }

    @Test
    void nothingFoundFailsWithWhatEachProviderSaid() throws Exception {
        Registry empty = new Registry();
        Discovery hangs = (id, l) -> () -> { };
        Discovery fails = (id, l) -> {
            l.failed(new java.io.IOException("server unreachable"));
            return () -> { };
        };
        QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()).discovery(empty, "memory").discovery(fails, "dns"));
        EndpointId nobody = Identities.ephemeral().id();
        assertThat(a.connect(nobody, "d/1").toCompletableFuture()).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class).withMessageContaining("Cannot find " + nobody.shortString())
                .withMessageContaining("every provider answered").withMessageContaining("memory=nothing found")
                .withMessageContaining("server unreachable");
        a.addDiscovery(hangs, "hangs");
        long t0 = System.nanoTime();
        assertThat(a.connect(nobody, "d/1").toCompletableFuture()).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class).withMessageContaining("no usable result within 2000 ms")
                .withMessageContaining("hangs=no answer");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        a.removeDiscovery(hangs);
        a.removeDiscovery(empty);
        a.removeDiscovery(fails);
        assertThat(a.connect(nobody, "d/1").toCompletableFuture()).failsWithin(Duration.ofSeconds(1))
                .withThrowableOfType(ExecutionException.class).withMessageContaining("by id alone");
    }

    @Test
    void twoProvidersAnsweringAtOnceDialOnce() throws Exception {
        QuicEndpoint b = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        EndpointAddr known = b.addr().get();
        Discovery one = (id, l) -> {
            l.found(new DiscoveryItem(known, "one", Instant.now()));
            l.completed();
            return () -> { };
        };
        Discovery two = (id, l) -> {
            new Thread(() -> {
                l.found(new DiscoveryItem(known, "two", Instant.now()));
                l.completed();
            }).start();
            return () -> { };
        };
        QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()).discovery(one, "one").discovery(two, "two"));
        for (int i = 0; i < 5; i++) {
            Connection c = Blocking.await(a.connect(b.id(), "d/1"), Duration.ofSeconds(10));
            assertThat(c.remoteId()).isEqualTo(b.id());
        }
    }
}
