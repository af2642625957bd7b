package org.quiver.relay.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.RelayStatus;
import org.quiver.identity.Identities;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.spi.relay.RelayContext;
import org.quiver.spi.relay.RelayLink;

/** The relay client and the default provider against the real relay server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayClientTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final RelayCore.Limits FAST = new RelayCore.Limits(100, 512, 1L << 30, 1L << 30);
    private static final RelayClient.Options QUICK = new RelayClient.Options(Duration.ofMillis(200), Duration.ofMillis(50),
            Duration.ofMillis(400), Duration.ofSeconds(5), 1 << 20);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<AutoCloseable> open = new java.util.ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    private record Got(RelayClient via, EndpointId source, byte[] datagram) {
    }

    private RelayClient client(URI url, LocalIdentity id, BlockingQueue<Got> inbox) {
        return keep(new RelayClient(url, id.id(), id::sign, (via, src, d) -> inbox.add(new Got(via, src, d)), group.next(), QUICK).start());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static void awaitState(RelayClient c, RelayClient.State want) throws InterruptedException {
        await(c + " reaches " + want + " (" + c.lastProblem() + ")", () -> c.state().get() == want);
    }

    @Test
    void aBurstCrossesTheRelayAsOneFrameAndArrivesWhole() throws Exception {
        RelayServer server = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(server.url());
        LocalIdentity ia = Identities.ephemeral();
        LocalIdentity ib = Identities.ephemeral();
        record Burst(EndpointId source, byte[] datagrams, int segmentSize) {
        }
        BlockingQueue<Burst> inboxB = new LinkedBlockingQueue<>();
        RelayClient a = client(url, ia, new LinkedBlockingQueue<>());
        RelayClient b = keep(new RelayClient(url, ib.id(), ib::sign, new RelayClient.Receiver() {
            @Override
            public void datagram(RelayClient from, EndpointId source, byte[] datagram) {
                inboxB.add(new Burst(source, datagram, 0));
            }

            @Override
            public void datagrams(RelayClient from, EndpointId source, byte[] datagrams, int segmentSize) {
                inboxB.add(new Burst(source, datagrams, segmentSize));
            }
        }, group.next(), QUICK).start());
        awaitState(a, RelayClient.State.CONNECTED);
        awaitState(b, RelayClient.State.CONNECTED);
        java.util.Random random = new java.util.Random(7);
        byte[] burst = new byte[10 * 1200 + 500]; // 11 datagrams, the last one shorter
        random.nextBytes(burst);
        ByteBuffer from = ByteBuffer.wrap(burst, 0, burst.length);
        assertThat(a.send(ib.id(), from, 1200)).isTrue();
        assertThat(from.position()).as("read, not consumed").isZero();
        Burst got = inboxB.poll(10, TimeUnit.SECONDS);
        assertThat(got).as("relay %s", server.core().stats()).isNotNull();
        assertThat(got.source()).isEqualTo(ia.id());
        assertThat(got.segmentSize()).as("one frame, not eleven").isEqualTo(1200);
        assertThat(got.datagrams()).isEqualTo(burst);
        // a burst longer than one frame holds (64 datagrams) goes as two, in order
        byte[] long100 = new byte[100 * 1000];
        random.nextBytes(long100);
        assertThat(a.send(ib.id(), ByteBuffer.wrap(long100), 1000)).isTrue();
        Burst first = inboxB.poll(10, TimeUnit.SECONDS);
        Burst second = inboxB.poll(10, TimeUnit.SECONDS);
        assertThat(first.datagrams()).hasSize(64 * 1000);
        assertThat(second.datagrams()).hasSize(36 * 1000);
        java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
        both.write(first.datagrams());
        both.write(second.datagrams());
        assertThat(both.toByteArray()).isEqualTo(long100);
        // one datagram goes as one datagram
        assertThat(a.send(ib.id(), ByteBuffer.wrap(new byte[] {1, 2, 3}), 1200)).isTrue();
        assertThat(inboxB.poll(10, TimeUnit.SECONDS)).satisfies(g -> {
            assertThat(g.segmentSize()).isZero();
            assertThat(g.datagrams()).containsExactly(1, 2, 3);
        });
        assertThat(a.counts()[0]).as("datagrams sent").isEqualTo(11 + 100 + 1);
        assertThat(b.counts()[1]).as("datagrams received").isEqualTo(11 + 100 + 1);
        assertThat(server.core().segmentedFrames()).isEqualTo(3);
        assertThat(server.core().stats().forwarded()).isEqualTo(11 + 100 + 1);
    }

    @Test
    void forwardsDatagramsTaggedWithTheAuthenticatedSender() throws Exception {
        RelayServer server = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(server.url());
        LocalIdentity ia = Identities.ephemeral();
        LocalIdentity ib = Identities.ephemeral();
        BlockingQueue<Got> inboxA = new LinkedBlockingQueue<>();
        BlockingQueue<Got> inboxB = new LinkedBlockingQueue<>();
        RelayClient a = client(url, ia, inboxA);
        RelayClient b = client(url, ib, inboxB);
        assertThat(a.send(ib.id(), new byte[] {1})).as("not connected yet: dropped").isFalse();
        awaitState(a, RelayClient.State.CONNECTED);
        awaitState(b, RelayClient.State.CONNECTED);
        for (int i = 0; i < 1000; i++) {
            byte[] d = new byte[1 + i];
            d[0] = (byte) i;
            // at most 256 under way, as QUIC keeps a window: the relay queues 512 for a receiver and drops the oldest
            // beyond (by design: a sender faster than its receiver loses, it is not buffered without bound)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((i - b.counts()[1] >= 256 || !a.send(ib.id(), d)) && System.nanoTime() < deadline) {
                Thread.sleep(1); // the window is full, or the socket: a real sender (QUIC) would back off
            }
        }
        for (int i = 0; i < 1000; i++) {
            Got g = inboxB.poll(10, TimeUnit.SECONDS);
            assertThat(g).as("datagram " + i).isNotNull();
            assertThat(g.source()).isEqualTo(ia.id());
            assertThat(g.datagram()).as("relay %s, a %s, b %s", server.core().stats(), java.util.Arrays.toString(a.counts()), java.util.Arrays.toString(b.counts())).hasSize(1 + i).startsWith((byte) i);
        }
        assertThat(inboxA).isEmpty();
        await("latency measured", () -> a.latency().isPresent());
        assertThat(a.latency().get()).isLessThan(Duration.ofSeconds(1));
        assertThat(a.counts()[0]).isEqualTo(1000);
        assertThat(b.counts()[1]).isEqualTo(1000);
        assertThat(a.counts()[3]).as("one connection").isEqualTo(1);
    }

    @Test
    void aFloodIsRefusedBeyondTheWriteBufferAndWhatGetsThroughKeepsItsOrder() throws Exception {
        RelayServer server = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(server.url());
        LocalIdentity ia = Identities.ephemeral();
        LocalIdentity ib = Identities.ephemeral();
        BlockingQueue<Got> inboxB = new LinkedBlockingQueue<>();
        // pinged every 5 s as by default: with the tests' 200 ms a pong can wait behind the flood long enough for the
        // client to call the connection dead; what its socket still held is then lost uncounted (QUIC resends it)
        RelayClient a = keep(new RelayClient(url, ia.id(), ia::sign, (via, src, d) -> { }, group.next(), RelayClient.Options.DEFAULT).start());
        RelayClient b = client(url, ib, inboxB);
        awaitState(a, RelayClient.State.CONNECTED);
        awaitState(b, RelayClient.State.CONNECTED);
        // 50,000 datagrams of 1,200 bytes (60 MB) handed over at once, never backing off: far beyond the client's
        // 2 MiB write buffer, so some are refused (and counted), none is taken and lost silently
        int refused = 0;
        byte[] d = new byte[1200];
        long t0 = System.nanoTime();
        for (int i = 0; i < 50_000; i++) {
            java.nio.ByteBuffer.wrap(d).putInt(i);
            if (!a.send(ib.id(), d)) {
                refused++;
            }
        }
        long floodMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(refused).as("a flood is refused beyond the buffer").isPositive();
        assertThat(a.counts()[2]).as("every refusal counted").isEqualTo(refused);
        assertThat(a.counts()[0]).as("sent = taken").isEqualTo(50_000 - refused);
        int last = -1;
        int got = 0;
        for (Got g; (g = inboxB.poll(2, TimeUnit.SECONDS)) != null; ) {
            int seq = java.nio.ByteBuffer.wrap(g.datagram()).getInt();
            assertThat(seq).as("in the order sent").isGreaterThan(last);
            last = seq;
            got++;
        }
        System.out.printf("flood of 50,000 handed over in %d ms, %d refused, %d arrived, %d s%n", floodMillis, refused, got, (System.nanoTime() - t0) / 1_000_000_000);
        long droppedByRelay = server.core().stats().dropped();
        assertThat(got + droppedByRelay).as("every datagram taken arrived or was dropped by the relay (counted); sender's counts "
                + java.util.Arrays.toString(a.counts()) + ", relay " + server.core().stats())
                .isEqualTo(50_000 - refused);
    }

    @Test
    void aRecheckAfterAChangeOfNetworkReplacesAConnectionThatNoLongerAnswers() throws Exception {
        TcpLine line = keep(new TcpLine());
        String name = "127.0.0.1:" + line.port();
        RelayServer server = keep(RelayServer.start(new RelayServer.Config(LO, null, FAST, RelayServer.KEEPALIVE, null, List.of(name))));
        line.target(server.address());
        LocalIdentity id = Identities.ephemeral();
        // pinged every 10 s: a silent connection would be found dead only after 30 s
        RelayClient.Options slowPings = new RelayClient.Options(Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofMillis(400),
                Duration.ofSeconds(5), 1 << 20);
        RelayClient c = keep(new RelayClient(URI.create("ws://" + name + "/relay"), id.id(), id::sign, (v, s, d) -> { }, group.next(),
                slowPings).start());
        awaitState(c, RelayClient.State.CONNECTED);
        c.recheck(); // a live connection answers: it stays
        Thread.sleep(RelayClient.RECHECK_NANOS / 1_000_000 + 300);
        assertThat(c.counts()[3]).as("still the first connection").isEqualTo(1);
        assertThat(c.state().get()).isEqualTo(RelayClient.State.CONNECTED);

        line.cutOpen(); // the host's address changed under the connection: nothing comes back on it
        long t0 = System.nanoTime();
        c.recheck();
        await("a new connection", () -> c.counts()[3] == 2 && c.state().get() == RelayClient.State.CONNECTED);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(millis).as("within the recheck's second and a backoff, not after 30 s").isLessThan(5_000);
        assertThat(c.lastProblem()).isEmpty(); // cleared by the new connection
        System.out.printf("a dead relay connection replaced %d ms after the recheck%n", millis);
    }

    @Test
    void framesToARelayOnThisHostCarryTheKeyZeroAndReachTheirPeer() throws Exception {
        TcpLine line = keep(new TcpLine()); // on loopback: it records what the client sends
        String name = "127.0.0.1:" + line.port();
        RelayServer server = keep(RelayServer.start(new RelayServer.Config(LO, null, FAST, RelayServer.KEEPALIVE, null, List.of(name))));
        line.target(server.address());
        LocalIdentity ia = Identities.ephemeral();
        LocalIdentity ib = Identities.ephemeral();
        BlockingQueue<Got> inboxB = new LinkedBlockingQueue<>();
        RelayClient a = client(URI.create("ws://" + name + "/relay"), ia, new LinkedBlockingQueue<>());
        RelayClient b = client(URI.create(server.url()), ib, inboxB);
        awaitState(a, RelayClient.State.CONNECTED);
        awaitState(b, RelayClient.State.CONNECTED);
        byte[] d = new byte[1200];
        new java.util.Random(5).nextBytes(d);
        assertThat(a.send(ib.id(), d)).isTrue();
        Got g = inboxB.poll(10, TimeUnit.SECONDS);
        assertThat(g).as("the datagram through the relay").isNotNull();
        assertThat(g.datagram()).isEqualTo(d);
        // on the wire: the upgrade request, then frames: each with the mask bit and the key 0 0 0 0
        byte[] wire = line.sent(0);
        int at = indexOf(wire, "\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)) + 4;
        assertThat(at).as("the end of the upgrade request").isGreaterThan(4);
        int frames = 0;
        while (at + 2 <= wire.length) {
            int len = wire[at + 1] & 0x7f;
            int header = 2;
            if (len == 126) {
                len = ((wire[at + 2] & 0xff) << 8) | (wire[at + 3] & 0xff);
                header = 4;
            }
            assertThat(wire[at + 1] & 0x80).as("frame %d is masked", frames).isEqualTo(0x80);
            if (at + header + 4 + len > wire.length) {
                break; // the recording ends inside it
            }
            assertThat(java.util.Arrays.copyOfRange(wire, at + header, at + header + 4)).as("frame %d's key", frames).containsOnly(0);
            at += header + 4 + len;
            frames++;
        }
        assertThat(frames).as("the login and the datagram, at least").isGreaterThanOrEqualTo(2);
        // the datagram's bytes are on the wire as sent (nothing XORed), in its frame after the destination
        assertThat(indexOf(wire, d)).isPositive();
    }

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= in.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void aWrongSignatureIsRefusedAndRetriedWithBackoff() throws Exception {
        RelayServer server = keep(RelayServer.start(LO, FAST));
        LocalIdentity id = Identities.ephemeral();
        RelayClient c = keep(new RelayClient(URI.create(server.url()), id.id(), m -> new byte[64], (v, s, d) -> { }, group.next(), QUICK).start());
        await("refused twice", () -> c.counts()[4] >= 2);
        assertThat(c.state().get()).isNotEqualTo(RelayClient.State.CONNECTED);
        assertThat(c.lastProblem()).contains("refused");
        assertThat(c.send(Identities.ephemeral().id(), new byte[10])).isFalse();
        assertThat(server.core().stats().authenticated()).isZero();
    }

    @Test
    void reconnectsAfterTheRelayRestarts() throws Exception {
        RelayServer server = RelayServer.start(LO, FAST);
        InetSocketAddress at = server.address();
        LocalIdentity id = Identities.ephemeral();
        RelayClient c = client(URI.create(server.url()), id, new LinkedBlockingQueue<>());
        awaitState(c, RelayClient.State.CONNECTED);
        server.close();
        await("notices the drop", () -> c.state().get() != RelayClient.State.CONNECTED);
        Thread.sleep(600); // a few failed attempts while the relay is down
        assertThat(c.counts()[4]).isGreaterThanOrEqualTo(2);
        RelayServer again = keep(RelayServer.start(at, FAST));
        awaitState(c, RelayClient.State.CONNECTED);
        assertThat(c.counts()[3]).isEqualTo(2);
        assertThat(again.core().stats().authenticated()).isEqualTo(1);
    }

    @Test
    void aRelayThatIsNotThereIsRetriedWithoutEnd() throws Exception {
        RelayServer server = RelayServer.start(LO, FAST);
        URI url = URI.create(server.url());
        server.close();
        RelayClient c = client(url, Identities.ephemeral(), new LinkedBlockingQueue<>());
        await("three attempts", () -> c.counts()[4] >= 3);
        assertThat(c.lastProblem()).contains("cannot connect");
        c.close();
        assertThat(c.state().get()).isEqualTo(RelayClient.State.CLOSED);
        c.close(); // idempotent
    }

    @Test
    void badUrlsAndOptionsAreRefusedClearly() {
        assertThatThrownBy(() -> RelayClient.checkUrl(URI.create("http://r.example/relay"))).hasMessageContaining("ws://host");
        assertThat(RelayClient.checkUrl(URI.create("wss://r.example/relay"))).hasScheme("wss");
        assertThatThrownBy(() -> RelayClient.checkUrl(URI.create("ws:relative"))).hasMessageContaining("ws://host");
        assertThatThrownBy(() -> new RelayClient.Options(Duration.ZERO, Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(1), 1 << 20))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DefaultRelayProvider(List.of(URI.create("https://r/")), QUICK)).hasMessageContaining("ws://");
    }

    /** An endpoint as the provider sees it: it signs and collects what is delivered. */
    private record Context(LocalIdentity identity, BlockingQueue<Got> inbox) implements RelayContext {
        @Override
        public EndpointId localId() {
            return identity.id();
        }

        @Override
        public byte[] sign(byte[] challenge) {
            return identity.sign(challenge);
        }

        @Override
        public void deliver(EndpointId source, ByteBuffer datagram) {
            byte[] d = new byte[datagram.remaining()];
            datagram.get(d);
            inbox.add(new Got(null, source, d));
        }
    }

    @Test
    void aLinkListsItsConfiguredRelaysAsSoonAsItIsAttached() throws Exception {
        // a `-c` command runs right after its endpoint started (and attached its relay provider): asked at once which
        // relays the endpoint uses, the link answered an empty list until its loop had made the clients, and the
        // shell then refused a dial by id ("no relay to reach it by id")
        RelayServer r = keep(RelayServer.start(LO, FAST));
        URI u = URI.create(r.url());
        URI dead = URI.create("ws://127.0.0.1:9/relay");
        DefaultRelayProvider p = keep(new DefaultRelayProvider(List.of(u, dead), QUICK));
        for (int i = 0; i < 20; i++) {
            RelayLink link = p.attach(new Context(Identities.ephemeral(), new LinkedBlockingQueue<>()));
            assertThat(link.status()).as("attach %d: its relays at once", i).extracting(org.quiver.api.RelayStatus::url).containsExactlyInAnyOrder(u, dead);
            link.close();
        }
        RelayLink link = p.attach(new Context(Identities.ephemeral(), new LinkedBlockingQueue<>()));
        await("home", () -> link.home().get().equals(Optional.of(u)));
        assertThat(link.status()).as("one client per relay, not two").hasSize(2);
    }

    @Test
    void theProviderPicksAHomeFollowsConfigurationAndReachesPeersAtTheirRelay() throws Exception {
        RelayServer r1 = keep(RelayServer.start(LO, FAST));
        RelayServer r2 = keep(RelayServer.start(LO, FAST));
        URI u1 = URI.create(r1.url());
        URI u2 = URI.create(r2.url());
        DefaultRelayProvider pa = keep(new DefaultRelayProvider(List.of(u1), QUICK));
        DefaultRelayProvider pb = keep(new DefaultRelayProvider(List.of(u2), QUICK));
        Context ca = new Context(Identities.ephemeral(), new LinkedBlockingQueue<>());
        Context cb = new Context(Identities.ephemeral(), new LinkedBlockingQueue<>());
        RelayLink la = pa.attach(ca);
        RelayLink lb = pb.attach(cb);
        await("homes", () -> la.home().get().equals(Optional.of(u1)) && lb.home().get().equals(Optional.of(u2)));

        // a is only at r1, b only at r2: a reaches b through b's relay, connected on demand
        await("a reaches b at its relay", () -> {
            la.send(cb.localId(), u2, ByteBuffer.wrap(new byte[] {42}));
            return !cb.inbox().isEmpty();
        });
        Got g = cb.inbox().poll();
        assertThat(g.source()).isEqualTo(ca.localId());
        assertThat(la.status()).extracting(RelayStatus::url).containsExactlyInAnyOrder(u1, u2);
        assertThat(la.status()).filteredOn(s -> s.url().equals(u2)).singleElement()
                .satisfies(s -> assertThat(s.state()).contains("on demand"));
        // b answers through the relay a was heard from, without any hint
        await("b answers a", () -> {
            lb.send(ca.localId(), null, ByteBuffer.wrap(new byte[] {7}));
            return !ca.inbox().isEmpty();
        });
        assertThat(ca.inbox().poll().source()).isEqualTo(cb.localId());

        // configuration moves a's home to r2; r1 is left
        pa.relays(List.of(u2));
        await("home moves", () -> la.home().get().equals(Optional.of(u2)));
        await("r1 left", () -> la.status().stream().noneMatch(s -> s.url().equals(u1)));
        assertThat(la.status()).singleElement().satisfies(s -> {
            assertThat(s.home()).isTrue();
            assertThat(s.state()).isEqualTo("CONNECTED");
        });
        la.close();
        assertThat(la.send(cb.localId(), null, ByteBuffer.wrap(new byte[] {1}))).isFalse();
        assertThat(pa.links()).isEmpty();
        assertThat(pb.links()).hasSize(1);
    }

    @Test
    void theOperatorDecidesWhichRelaysNamedByPeersTheNodeConnectsTo() throws Exception {
        RelayServer r1 = keep(RelayServer.start(LO, FAST));
        RelayServer r2 = keep(RelayServer.start(LO, FAST));
        URI u1 = URI.create(r1.url());
        URI u2 = URI.create(r2.url());
        DefaultRelayProvider pa = keep(new DefaultRelayProvider(List.of(u1), QUICK));
        assertThat(pa.onDemand()).isEqualTo(DefaultRelayProvider.OnDemand.ANY);
        Context ca = new Context(Identities.ephemeral(), new LinkedBlockingQueue<>());
        RelayLink la = pa.attach(ca);
        await("home", () -> la.home().get().equals(Optional.of(u1)));
        for (DefaultRelayProvider.OnDemand policy : List.of(DefaultRelayProvider.OnDemand.NONE, DefaultRelayProvider.OnDemand.SECURE)) {
            pa.onDemand(policy);
            long before = pa.onDemandRefused();
            for (int i = 0; i < 20; i++) { // a peer that names a ws:// relay we are not configured for
                la.send(Identities.ephemeral().id(), u2, ByteBuffer.wrap(new byte[] {1}));
            }
            Thread.sleep(300);
            assertThat(la.status()).as(policy + ": no connection to the named relay").extracting(RelayStatus::url).containsExactly(u1);
            assertThat(r2.core().stats().sessions()).isZero();
            assertThat(pa.onDemandRefused() - before).isEqualTo(20);
        }
        pa.onDemand(DefaultRelayProvider.OnDemand.ANY);
        la.send(Identities.ephemeral().id(), u2, ByteBuffer.wrap(new byte[] {1}));
        await("connected on demand", () -> la.status().stream().anyMatch(s -> s.url().equals(u2)));
    }

    /** Time is an input: an on-demand relay unused for a minute by the provider's clock is closed at the next sweep. */
    @Test
    void anOnDemandRelayUnusedForAMinuteByTheProvidersClockIsClosed() throws Exception {
        RelayServer r1 = keep(RelayServer.start(LO, FAST));
        RelayServer r2 = keep(RelayServer.start(LO, FAST));
        URI u1 = URI.create(r1.url());
        URI u2 = URI.create(r2.url());
        java.util.concurrent.atomic.AtomicLong ahead = new java.util.concurrent.atomic.AtomicLong();
        DefaultRelayProvider pa = keep(new DefaultRelayProvider(List.of(u1), QUICK, () -> System.nanoTime() + ahead.get()));
        DefaultRelayProvider pb = keep(new DefaultRelayProvider(List.of(u2), QUICK));
        Context ca = new Context(Identities.ephemeral(), new LinkedBlockingQueue<>());
        Context cb = new Context(Identities.ephemeral(), new LinkedBlockingQueue<>());
        RelayLink la = pa.attach(ca);
        RelayLink lb = pb.attach(cb);
        await("homes", () -> la.home().get().equals(Optional.of(u1)) && lb.home().get().equals(Optional.of(u2)));
        await("a reaches b at its relay", () -> {
            la.send(cb.localId(), u2, ByteBuffer.wrap(new byte[] {42}));
            return !cb.inbox().isEmpty();
        });
        assertThat(la.status()).extracting(RelayStatus::url).contains(u2);
        ahead.addAndGet(DefaultRelayProvider.ON_DEMAND_IDLE.toNanos() + java.util.concurrent.TimeUnit.SECONDS.toNanos(1));
        long deadline = System.nanoTime() + DefaultRelayProvider.ON_DEMAND_IDLE.toNanos() / 4 + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (la.status().stream().anyMatch(st -> st.url().equals(u2)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(la.status()).extracting(RelayStatus::url).containsExactly(u1);
    }
}
