package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.CloseInfo;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QuicEndpointTest {
    private static final String ECHO = "quiver/echo/1";
    private static final Duration T = Duration.ofSeconds(10);
    private final List<QuicEndpoint> endpoints = new ArrayList<>();

    /** Echoes every bidirectional stream back, and every datagram. */
    private static final ProtocolHandler ECHO_HANDLER = conn -> {
        conn.receiveDatagram().thenAccept(d -> conn.sendDatagram(d));
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(conn.acceptBi(), Duration.ofMinutes(1));
            } catch (QuiverException closed) {
                return;
            }
            new Thread(() -> {
                try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                    in.transferTo(out);
                } catch (Exception ignored) {
                    // the test sees it
                }
            }).start();
        }
    };

    private QuicEndpoint endpoint(LocalIdentity id) throws Exception {
        QuicEndpoint e = QuicEndpoint.builder(id).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .handler(ECHO, ECHO_HANDLER).build();
        endpoints.add(e);
        return e;
    }

    /** Reads the stream to its end on another thread. */
    private static CompletableFuture<byte[]> readAllAsync(BiStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (InputStream in = s.recv().inputStream()) {
                return in.readAllBytes();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static EndpointAddr addrOf(QuicEndpoint e) {
        return EndpointAddr.of(e.id(), null, List.of(e.localAddress()));
    }

    @AfterEach
    void closeAll() {
        endpoints.forEach(QuicEndpoint::close);
    }

    @Test
    void dialsAndEchoesAStreamWithPinnedIdentities() throws Exception {
        QuicEndpoint a = endpoint(Identities.ephemeral());
        QuicEndpoint b = endpoint(Identities.ephemeral());
        Connection c = Blocking.await(a.connect(addrOf(b), ECHO), T);
        assertThat(c.remoteId()).isEqualTo(b.id());
        assertThat(c.alpn()).isEqualTo(ECHO);
        assertThat(c.isDialer()).isTrue();

        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(data);
        BiStream s = Blocking.await(c.openBi(), T);
        CompletableFuture<byte[]> echoed = readAllAsync(s);
        try (OutputStream out = s.send().outputStream()) {
            out.write(data);
        }
        assertThat(MessageDigest.getInstance("SHA-256").digest(echoed.get(30, TimeUnit.SECONDS)))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));

        // QUIC's RTT estimate reaches the watchables: on loopback, above zero and far below a second
        Duration rtt = c.rtt().get().isZero() ? c.rtt().watch().awaitChange(Duration.ofSeconds(5)) : c.rtt().get();
        assertThat(rtt).isGreaterThan(Duration.ofNanos(1000)).isLessThan(Duration.ofMillis(500)); // nanoseconds, not micro
        assertThat(c.path().get().rtt()).isPresent();
        assertThat(c.path().get().kind()).isEqualTo(org.quiver.api.PathKind.DIRECT);

        // the acceptor learned who dialed
        assertThat(b.connections()).hasSize(1).first().satisfies(acc -> assertThat(acc.remoteId()).isEqualTo(a.id()));
    }

    @Test
    void garbageDatagramsAreDroppedAndCountedAndHarmNothing() throws Exception {
        QuicEndpoint a = endpoint(Identities.ephemeral());
        QuicEndpoint b = endpoint(Identities.ephemeral());
        Random random = new Random(4);
        try (DatagramSocket attacker = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            for (int i = 0; i < 2000; i++) {
                byte[] junk = new byte[1 + random.nextInt(1400)];
                random.nextBytes(junk);
                if (i % 2 == 0) {
                    junk[0] = (byte) (junk[0] & 0xbf | 0x80); // long header, fixed bit clear: a "probe"
                } else {
                    junk[0] = (byte) ((junk[0] & 0x7f) | 0x40); // short header to an id nobody has
                }
                attacker.send(new java.net.DatagramPacket(junk, junk.length, b.localAddress()));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (b.droppedDatagrams() + b.probeCounts()[2] < 2000 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(b.droppedDatagrams()).as("junk QUIC").isEqualTo(1000);
        assertThat(b.probeCounts()[1]).as("junk probes received").isEqualTo(1000);
        assertThat(b.probeCounts()[2]).as("junk probes dropped").isEqualTo(1000);
        Connection c = Blocking.await(a.connect(addrOf(b), ECHO), T);
        BiStream s = Blocking.await(c.openBi(), T);
        try (OutputStream out = s.send().outputStream()) {
            out.write("still here".getBytes(StandardCharsets.UTF_8));
        }
        try (InputStream in = s.recv().inputStream()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("still here");
        }
    }

    @Test
    void anImpostorIsRejected() throws Exception {
        QuicEndpoint a = endpoint(Identities.ephemeral());
        QuicEndpoint b = endpoint(Identities.ephemeral());
        QuicEndpoint impostor = endpoint(Identities.ephemeral());
        // a dials b's id, but at the impostor's address
        EndpointAddr lie = EndpointAddr.of(b.id(), null, List.of(impostor.localAddress()));
        assertThatThrownBy(() -> {
            Connection c = Blocking.await(a.connect(lie, ECHO), T);
            // TLS 1.3: a rejected handshake can still look connected for a moment; then it is closed
            c.closed().toCompletableFuture().get(5, TimeUnit.SECONDS);
            Blocking.await(c.openBi(), T);
        }).isInstanceOf(Exception.class);
        assertThat(impostor.connections()).isEmpty();
        assertThat(a.connections()).isEmpty();
    }

    @Test
    void unknownAlpnIsRefused() throws Exception {
        QuicEndpoint a = endpoint(Identities.ephemeral());
        QuicEndpoint b = endpoint(Identities.ephemeral());
        assertThatThrownBy(() -> Blocking.await(a.connect(addrOf(b), "no/such/alpn"), T))
                .isInstanceOf(QuiverException.class).hasMessageContaining("Connect to");
    }

    @Test
    void datagramsAndCloseCodesReachThePeer() throws Exception {
        QuicEndpoint a = endpoint(Identities.ephemeral());
        QuicEndpoint b = endpoint(Identities.ephemeral());
        Connection c = Blocking.await(a.connect(addrOf(b), ECHO), T);
        CompletableFuture<byte[]> back = c.receiveDatagram().toCompletableFuture();
        byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
        // datagrams may be lost: resend until the echo arrives
        for (int i = 0; i < 50 && !back.isDone(); i++) {
            c.sendDatagram(ping);
            Thread.sleep(20);
        }
        assertThat(back.get(5, TimeUnit.SECONDS)).isEqualTo(ping);
        int max = c.maxDatagramSize();
        assertThat(max).isBetween(1000, 1472);
        assertThatThrownBy(() -> Blocking.await(c.sendDatagram(new byte[max + 1]), T)).hasMessageContaining("at most " + max);
        Blocking.await(c.sendDatagram(new byte[max]), T); // the largest one is accepted

        Connection accepted = b.connections().iterator().next();
        c.close(42, "bye now");
        CloseInfo seen = accepted.closed().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(seen.cause()).isEqualTo(CloseInfo.Cause.PEER);
        assertThat(seen.code()).isEqualTo(42);
        assertThat(seen.reason()).isEqualTo("bye now");
        assertThat(c.closed().toCompletableFuture().get(5, TimeUnit.SECONDS).cause()).isEqualTo(CloseInfo.Cause.LOCAL);
    }

    @Test
    void oneSenderCannotHoldMoreThanItsShareOfConnections() throws Exception {
        QuicEndpoint b = endpoints(QuicEndpoint.builder(Identities.ephemeral()).maxConnectionsPerPeer(3));
        QuicEndpoint a = endpoint(Identities.ephemeral());
        List<Connection> conns = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            conns.add(Blocking.await(a.connect(addrOf(b), ECHO), T));
        }
        CloseInfo refused = conns.get(3).closed().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(refused.code()).isEqualTo(0x103);
        assertThat(refused.reason()).contains("too many connections");
        for (int i = 0; i < 3; i++) {
            assertThat(conns.get(i).closed().toCompletableFuture().isDone()).isFalse();
        }
    }

    @Test
    void aPathThatCannotCarryPacketsDropsAndCountsThemAndTheConnectionRecovers() throws Exception {
        // probes every second: the switch below is undone at the next probe answer, well after the stream's first packets
        QuicEndpoint a = endpoints(QuicEndpoint.builder(Identities.ephemeral()).probeInterval(Duration.ofSeconds(1)));
        QuicEndpoint b = endpoints(QuicEndpoint.builder(Identities.ephemeral()));
        Connection c = Blocking.await(a.connect(addrOf(b), ECHO), T);
        long before = a.droppedDatagrams();
        // an IPv6 path on an IPv4 socket: nothing can be sent on it
        a.switchPath(b.id(), new InetSocketAddress(InetAddress.getByName("::1"), b.localAddress().getPort()));
        BiStream s = Blocking.await(c.openBi(), T);
        CompletableFuture<byte[]> echoed = readAllAsync(s);
        try (OutputStream out = s.send().outputStream()) {
            out.write("through whatever path works".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(new String(echoed.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("through whatever path works");
        assertThat(a.droppedDatagrams()).as("datagrams the unusable path could not carry").isGreaterThan(before);
        assertThat(c.path().get().remote()).as("moved back to a path that works").isEqualTo(AddressText.text(b.localAddress()));
        assertThat(c.closed().toCompletableFuture().isDone()).isFalse();
    }

    private QuicEndpoint endpoints(EndpointBuilder builder) throws Exception {
        QuicEndpoint e = builder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).handler(ECHO, ECHO_HANDLER).build();
        endpoints.add(e);
        return e;
    }

    @Test
    void aLiveStreamSurvivesASwitchOfTheRealPath() throws Exception {
        // a policy that stays wherever the path was put, so that the probes do not move it back to the faster
        // direct path before the rest of the stream went over the new one
        org.quiver.spi.path.PathSelector stay = (candidates, current) -> current;
        QuicEndpoint a = endpoints(QuicEndpoint.builder(Identities.ephemeral()).pathSelector(stay));
        QuicEndpoint b = endpoints(QuicEndpoint.builder(Identities.ephemeral()).pathSelector(stay));
        Connection c = Blocking.await(a.connect(addrOf(b), ECHO), T);
        BiStream s = Blocking.await(c.openBi(), T);
        CompletableFuture<byte[]> echoed = readAllAsync(s);
        byte[] chunk = new byte[256 * 1024];
        new Random(2).nextBytes(chunk);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        // The second path: a UDP relay on loopback that forwards between the two sockets. Halfway through
        // the stream both sides move onto it; QUIC keeps seeing the same mapped addresses.
        try (DelayLine forwarder = new DelayLine(a.localAddress(), b.localAddress(), 0)) {
            try (OutputStream out = s.send().outputStream()) {
                for (int i = 0; i < 16; i++) {
                    if (i == 8) {
                        a.switchPath(b.id(), forwarder.address());
                        b.switchPath(a.id(), forwarder.address());
                    }
                    out.write(chunk);
                    sent.update(chunk);
                }
            }
            assertThat(MessageDigest.getInstance("SHA-256").digest(echoed.get(30, TimeUnit.SECONDS))).isEqualTo(sent.digest());
            assertThat(forwarder.forwarded()).as("datagrams that took the new path").isGreaterThan(100);
        }
        assertThat(c.path().get().remote()).isEqualTo("127.0.0.1:" + c.path().get().remote().split(":")[1]);
        assertThat(c.closed().toCompletableFuture().isDone()).isFalse();
    }

    @Test
    void closingWithAHundredConnectionsIsFastAndLeavesNothingBehind() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet(); // other tests' threads are not ours to judge
        QuicEndpoint server = endpoint(Identities.ephemeral());
        QuicEndpoint client = endpoint(Identities.ephemeral());
        List<Connection> conns = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            conns.add(Blocking.await(client.connect(addrOf(server), ECHO), T));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.connections().size() < 100 && System.nanoTime() < deadline) {
            Thread.sleep(10); // the dialer completes before the acceptor has registered the last one
        }
        assertThat(server.connections()).hasSize(100);
        int port = server.localAddress().getPort();
        long t0 = System.nanoTime();
        server.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(ms).as("close took %d ms", ms).isLessThan(500);
        for (Connection c : conns) {
            CloseInfo info = c.closed().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(info.cause()).isEqualTo(CloseInfo.Cause.PEER);
        }
        server.close(); // twice: harmless
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
        client.close();
        // the threads these two endpoints started end (bounded wait: no fixed sleep to be too short on a busy machine)
        java.util.function.Supplier<List<Thread>> ours = () -> Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("quiver-") && !before.contains(t)).toList();
        long threadsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ours.get().isEmpty() && System.nanoTime() < threadsDeadline) {
            Thread.sleep(20);
        }
        assertThat(ours.get()).isEmpty();
        endpoints.clear();
    }
}
