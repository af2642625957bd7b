package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.PathKind;
import org.quiver.api.PathStatus;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/** Connections through a real relay server: by id alone, large transfers, relay restarts, provider swaps, relay to direct. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RelayPathTest {
    static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    /** A relay that never limits a test, and relay clients that notice trouble and reconnect fast (RouterTest too). */
    static final RelayCore.Limits FAST = new RelayCore.Limits(100, 512, 1L << 30, 1L << 30);
    static final RelayClient.Options QUICK = new RelayClient.Options(Duration.ofMillis(500), Duration.ofMillis(50),
            Duration.ofMillis(500), Duration.ofSeconds(5), 2 << 20);
    private final List<AutoCloseable> open = new java.util.ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    /** Echoes the byte count and SHA-256 of each stream it gets (NioFallbackTest serves with it too). */
    static void digestHandler(Connection conn) throws Exception {
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(conn.acceptBi(), Duration.ofMinutes(1));
            } catch (QuiverException closed) {
                return;
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long n = 0;
            try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                byte[] buf = new byte[65536];
                for (int r; (r = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, r);
                    n += r;
                }
                out.write((n + " " + java.util.HexFormat.of().formatHex(sha.digest())).getBytes());
            }
        }
    }

    private QuicEndpoint endpoint(DefaultRelayProvider relay, boolean server) throws QuiverException {
        EndpointBuilder b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).probeInterval(Duration.ofMillis(200)).relay(relay);
        if (server) {
            b.handler("sha/1", RelayPathTest::digestHandler);
        }
        return keep(b.build());
    }

    private static URI awaitHome(QuicEndpoint e) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Optional<URI> home = e.addr().get().relayUrl();
            if (home.isPresent()) {
                return home.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no home relay within 10 s: " + e.relays());
    }

    /** Sends {@code bytes} seeded bytes on a new stream and checks the peer's count and SHA-256. */
    private static void transfer(Connection c, int bytes, long seed) throws Exception {
        byte[] chunk = new byte[64 * 1024];
        Random r = new Random(seed);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        try (OutputStream out = s.send().outputStream()) {
            for (int sent = 0; sent < bytes; sent += chunk.length) {
                r.nextBytes(chunk);
                int n = Math.min(chunk.length, bytes - sent);
                out.write(chunk, 0, n);
                sha.update(chunk, 0, n);
            }
        }
        try (InputStream in = s.recv().inputStream()) {
            assertThat(new String(in.readAllBytes())).isEqualTo(bytes + " " + java.util.HexFormat.of().formatHex(sha.digest()));
        }
    }

    /**
     * What a relay provider (a plugin, or a relay client fed by a hostile relay) hands the endpoint in bursts is held to
     * the bounds of single datagrams: a segment longer than any QUIC packet is dropped and counted, a datagram apiece,
     * and junk in a burst is dropped datagram by datagram like junk on its own.
     */
    @Test
    void burstsFromARelayProviderAreBoundedAndCountedDatagramByDatagram() throws Exception {
        java.util.concurrent.CompletableFuture<org.quiver.spi.relay.RelayContext> attached = new java.util.concurrent.CompletableFuture<>();
        org.quiver.spi.relay.RelayProvider hostile = new org.quiver.spi.relay.RelayProvider() {
            @Override
            public List<URI> relays() {
                return List.of();
            }

            @Override
            public org.quiver.spi.relay.RelayLink attach(org.quiver.spi.relay.RelayContext context) {
                attached.complete(context);
                return new org.quiver.spi.relay.RelayLink() {
                    @Override
                    public org.quiver.api.Watchable<Optional<URI>> home() {
                        return new org.quiver.api.WatchableValue<>(Optional.<URI>empty());
                    }

                    @Override
                    public boolean send(org.quiver.api.EndpointId destination, URI relayHint, java.nio.ByteBuffer datagram) {
                        return false;
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        QuicEndpoint e = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(hostile).build());
        org.quiver.spi.relay.RelayContext context = attached.get(10, TimeUnit.SECONDS);
        org.quiver.api.EndpointId stranger = Identities.ephemeral().id();
        long before = e.droppedDatagrams();
        context.deliver(stranger, java.nio.ByteBuffer.allocate(2 * (QuicEndpoint.MAX_UDP_PAYLOAD + 1)), QuicEndpoint.MAX_UDP_PAYLOAD + 1);
        assertThat(e.droppedDatagrams() - before).as("two oversized datagrams").isEqualTo(2);
        byte[] junk = new byte[3 * 100]; // three short-header QUIC packets of a stranger's: routable to nothing
        java.util.Arrays.fill(junk, (byte) 0x41);
        context.deliver(stranger, java.nio.ByteBuffer.wrap(junk), 100);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (e.droppedDatagrams() - before < 5 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100);
        assertThat(e.droppedDatagrams() - before).as("and each of the three junk datagrams").isEqualTo(5);
    }

    @Test
    void connectsByIdThroughTheRelayAndCarriesDataIntact() throws Exception {
        RelayServer relay = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(relay.url());
        QuicEndpoint b = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), true);
        QuicEndpoint a = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), false);
        assertThat(awaitHome(b)).isEqualTo(url);
        assertThat(awaitHome(a)).isEqualTo(url);
        assertThat(b.relays()).singleElement().satisfies(s -> {
            assertThat(s.home()).isTrue();
            assertThat(s.state()).isEqualTo("CONNECTED");
        });

        // by id alone: no address, only the relay both are at
        Connection c = Blocking.await(a.connect(b.id(), "sha/1"), Duration.ofSeconds(10));
        assertThat(c.path().get().kind()).isEqualTo(PathKind.RELAY);
        transfer(c, 4 << 20, 1);
        assertThat(relay.core().stats().forwarded()).as("every packet went through the relay").isGreaterThan((4 << 20) / 1500);
        if (Segments.supported()) {
            assertThat(a.router().relayBursts.sum()).as("QUIC's bursts went to the relay link whole").isPositive();
            assertThat(relay.core().segmentedFrames()).as("and crossed the relay as one frame each").isPositive();
            assertThat(a.router().burstsCut.sum()).as("none was cut into datagrams").isZero();
        }
        // the relay path is probed like any other: valid, with a round-trip time
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<PathStatus> paths = a.paths(b.id());
        while (paths.stream().noneMatch(p -> p.kind() == PathKind.RELAY && p.rtt().isPresent()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            paths = a.paths(b.id());
        }
        assertThat(paths).anySatisfy(p -> {
            assertThat(p.kind()).isEqualTo(PathKind.RELAY);
            assertThat(p.selected()).isTrue();
            assertThat(p.rtt()).isPresent();
        });
    }

    @Test
    void withoutARelayAnAddresslessDialFailsClearly() throws Exception {
        QuicEndpoint a = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build());
        QuicEndpoint b = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build());
        assertThat(a.connect(EndpointAddr.of(b.id()), "x").toCompletableFuture())
                .failsWithin(Duration.ofSeconds(1)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withMessageContaining("no relay provider");
        assertThat(a.connect(b.id(), "x").toCompletableFuture())
                .failsWithin(Duration.ofSeconds(1)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withMessageContaining("by id alone");
    }

    @Test
    void clientsReconnectAfterTheRelayRestartsAndTheConnectionGoesOn() throws Exception {
        RelayServer relay = RelayServer.start(LO, FAST);
        InetSocketAddress at = relay.address();
        URI url = URI.create(relay.url());
        DefaultRelayProvider pa = keep(new DefaultRelayProvider(List.of(url), QUICK));
        QuicEndpoint b = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), true);
        QuicEndpoint a = endpoint(pa, false);
        awaitHome(a);
        awaitHome(b);
        Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), url, List.of()), "sha/1"), Duration.ofSeconds(10));
        transfer(c, 1 << 20, 2);

        relay.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (a.relays().get(0).state().equals("CONNECTED") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(a.relays().get(0).state()).isNotEqualTo("CONNECTED");
        RelayServer again = keep(RelayServer.start(at, FAST));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(a.relays().get(0).state().equals("CONNECTED") && b.relays().get(0).state().equals("CONNECTED"))
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(a.relays().get(0).state()).isEqualTo("CONNECTED");
        assertThat(b.relays().get(0).state()).isEqualTo("CONNECTED");
        // the same QUIC connection carries on through the restarted relay
        transfer(c, 4 << 20, 3);
        assertThat(again.core().stats().forwarded()).isGreaterThan((4 << 20) / 1500);
        assertThat(c.closed().toCompletableFuture()).isNotDone();
    }

    @Test
    void aProviderSwapUnderALiveStreamLosesNothing() throws Exception {
        RelayServer r1 = keep(RelayServer.start(LO, FAST));
        RelayServer r2 = keep(RelayServer.start(LO, FAST));
        URI u1 = URI.create(r1.url());
        URI u2 = URI.create(r2.url());
        QuicEndpoint b = endpoint(keep(new DefaultRelayProvider(List.of(u1, u2), QUICK)), true);
        QuicEndpoint a = endpoint(keep(new DefaultRelayProvider(List.of(u1), QUICK)), false);
        awaitHome(a);
        awaitHome(b);
        Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id()), "sha/1"), Duration.ofSeconds(10));
        assertThat(c.path().get().kind()).isEqualTo(PathKind.RELAY);
        java.util.concurrent.CompletableFuture<Void> running = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                transfer(c, 8 << 20, 4);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        Thread.sleep(300);
        DefaultRelayProvider next = keep(new DefaultRelayProvider(List.of(u2), QUICK));
        a.relay(next);
        assertThat(awaitHomeIs(a, u2)).isEqualTo(u2);
        running.get(60, TimeUnit.SECONDS); // the stream completes with every byte and the right digest
        assertThat(c.closed().toCompletableFuture()).isNotDone();
        long before = r2.core().stats().forwarded();
        transfer(c, 1 << 20, 5);
        assertThat(r2.core().stats().forwarded() - before).as("the connection now runs through the new relay")
                .isGreaterThan((1 << 20) / 1500);
    }

    private static URI awaitHomeIs(QuicEndpoint e, URI want) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && !e.addr().get().relayUrl().equals(Optional.of(want))) {
            Thread.sleep(20);
        }
        return e.addr().get().relayUrl().orElse(null);
    }

    @Test
    void aChangeOfNetworkThatKillsTheDirectPathMovesTheConnectionToTheRelayAtOnce() throws Exception {
        RelayServer relay = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(relay.url());
        java.util.concurrent.atomic.AtomicReference<List<InetSocketAddress>> interfaces =
                new java.util.concurrent.atomic.AtomicReference<>(List.of(new InetSocketAddress("127.0.0.1", 1)));
        // probes every 10 s: a dead path would be left only after 32.5 s of silence, unless the change is acted on
        QuicEndpoint b = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).probeInterval(Duration.ofSeconds(10))
                .relay(keep(new DefaultRelayProvider(List.of(url), QUICK))).handler("sha/1", RelayPathTest::digestHandler).build());
        QuicEndpoint a = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).probeInterval(Duration.ofSeconds(10))
                .networkCheckInterval(Duration.ofMillis(50)).networkSource(interfaces::get)
                .relay(keep(new DefaultRelayProvider(List.of(url), QUICK))).build());
        awaitHome(a);
        awaitHome(b);
        DelayLine line = keep(new DelayLine(a.localAddress(), b.localAddress(), 0)); // the direct path, which the test cuts
        Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), url, List.of(line.address())), "sha/1"), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.path().get().kind() != PathKind.DIRECT && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(c.path().get().kind()).isEqualTo(PathKind.DIRECT);
        transfer(c, 1 << 20, 21);

        // a moves to another network: its direct path to b is gone, the relay still carries
        line.blackhole(true);
        long t0 = System.nanoTime();
        interfaces.set(List.of(new InetSocketAddress("127.0.0.3", 1)));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (c.path().get().kind() != PathKind.RELAY && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long movedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(c.path().get().kind()).as("the connection moved to the relay, not after the 32.5 s path timeout").isEqualTo(PathKind.RELAY);
        assertThat(movedMillis).as("within the check interval and a few round trips").isLessThan(1_500);
        long t1 = System.nanoTime();
        transfer(c, 1 << 20, 22); // b follows: a's packets through the relay put its direct path in doubt, and it leaves it too
        long transferMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
        assertThat(transferMillis).as("b answered through the relay, not after its own 32.5 s timeout").isLessThan(10_000);
        System.out.printf("network change to the relay path: %d ms (check interval 50 ms); 1 MiB through the relay after it: %d ms%n",
                movedMillis, transferMillis);
    }

    @Test
    void aConnectionStartedThroughTheRelayMovesToTheDirectPath() throws Exception {
        RelayServer relay = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(relay.url());
        QuicEndpoint b = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), true);
        QuicEndpoint a = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), false);
        awaitHome(a);
        awaitHome(b);
        EndpointAddr target = b.addr().get();
        assertThat(target.relayUrl()).contains(url);
        Connection c = Blocking.await(a.connect(target, "sha/1"), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.path().get().kind() != PathKind.DIRECT && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(c.path().get().kind()).isEqualTo(PathKind.DIRECT);
        transfer(c, 1 << 20, 6);
        assertThat(a.paths(b.id())).anySatisfy(p -> assertThat(p.kind()).isEqualTo(PathKind.RELAY));
    }

    @Test
    void aDialThroughARelayThatIsDownTakesTheDirectPathThatAnswers() throws Exception {
        RelayServer relay = RelayServer.start(LO, FAST);
        URI url = URI.create(relay.url());
        QuicEndpoint b = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), true);
        QuicEndpoint a = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), false);
        awaitHome(a);
        awaitHome(b);
        EndpointAddr target = b.addr().get();
        relay.close(); // a relay restart: the dial's handshake packets sent through it are lost, and QUIC backs off
        long t0 = System.nanoTime();
        Connection c = Blocking.await(a.connect(target, "sha/1"), Duration.ofSeconds(10));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // the direct address answered a probe while the handshake waited: the handshake moved there
        assertThat(c.path().get().kind()).isEqualTo(PathKind.DIRECT);
        assertThat(millis).as("connected in %d ms, not after QUIC's backoff toward a dead relay", millis).isLessThan(5000);
        transfer(c, 1 << 20, 11);
    }

    @Test
    void junkThroughTheRelayIsDroppedAndCountedAndTheEndpointGoesOn() throws Exception {
        RelayServer relay = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(relay.url());
        QuicEndpoint b = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), true);
        awaitHome(b);
        // a hostile relay client: authenticated (so the relay forwards), but everything it sends is junk
        org.quiver.api.LocalIdentity mallory = Identities.ephemeral();
        io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1, io.netty.channel.nio.NioIoHandler.newFactory());
        try {
            RelayClient junk = new RelayClient(url, mallory.id(), mallory::sign, (v, src, d) -> { }, group.next(), QUICK).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (junk.state().get() != RelayClient.State.CONNECTED && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long before = b.droppedDatagrams();
            Random r = new Random(9);
            int sent = 0;
            for (int size : new int[] {1, 20, 125, 1200, 1472, 1473, 9000, 65535}) {
                for (int i = 0; i < 50; i++) {
                    byte[] d = new byte[size];
                    r.nextBytes(d);
                    if (junk.send(b.id(), d)) {
                        sent++;
                    } else {
                        Thread.sleep(1);
                    }
                }
            }
            assertThat(sent).isGreaterThan(300);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.droppedDatagrams() - before < 100 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(b.droppedDatagrams() - before).as("oversized, unroutable and forged datagrams are counted").isGreaterThanOrEqualTo(100);
            junk.close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        // and the endpoint still serves
        QuicEndpoint a = endpoint(keep(new DefaultRelayProvider(List.of(url), QUICK)), false);
        awaitHome(a);
        Connection c = Blocking.await(a.connect(b.id(), "sha/1"), Duration.ofSeconds(10));
        transfer(c, 256 * 1024, 10);
    }
}
