package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.PathKind;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.spi.metrics.TransportMetrics;

/**
 * One router for both kinds of path: the same tests run with a direct and with a relayed datagram, and must come
 * out the same (data intact, hostile datagrams dropped for the same reasons and counted).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RouterTest {
    private static final InetSocketAddress LO = RelayPathTest.LO;
    private static final RelayCore.Limits FAST = RelayPathTest.FAST;
    private static final RelayClient.Options QUICK = RelayPathTest.QUICK;
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

    /** Counts what the endpoint reports: drops by reason, bytes by kind of path. */
    private static final class Recorder implements TransportMetrics {
        final Map<String, LongAdder> dropped = new ConcurrentHashMap<>();
        final Map<PathKind, LongAdder> received = new ConcurrentHashMap<>();
        final Map<PathKind, LongAdder> sent = new ConcurrentHashMap<>();

        @Override
        public void datagramDropped(String reason) {
            dropped.computeIfAbsent(reason, k -> new LongAdder()).increment();
        }

        @Override
        public void bytesReceived(PathKind kind, long bytes) {
            received.computeIfAbsent(kind, k -> new LongAdder()).add(bytes);
        }

        @Override
        public void bytesSent(PathKind kind, long bytes) {
            sent.computeIfAbsent(kind, k -> new LongAdder()).add(bytes);
        }

        long dropped(String reason) {
            LongAdder a = dropped.get(reason);
            return a == null ? 0 : a.sum();
        }

        long received(PathKind kind) {
            LongAdder a = received.get(kind);
            return a == null ? 0 : a.sum();
        }

        long sent(PathKind kind) {
            LongAdder a = sent.get(kind);
            return a == null ? 0 : a.sum();
        }
    }

    /** Echoes the SHA-256 of each stream. */
    private static void digest(Connection conn) throws Exception {
        BiStream s = Blocking.await(conn.acceptBi(), Duration.ofSeconds(30));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
            byte[] buf = new byte[65536];
            for (int r; (r = in.read(buf)) > 0; ) {
                sha.update(buf, 0, r);
            }
            out.write(sha.digest());
        }
    }

    @ParameterizedTest
    @EnumSource(PathKind.class)
    void aStreamCrossesEitherKindOfPathIntactAndIsCountedUnderIt(PathKind kind) throws Exception {
        RelayServer relay = keep(RelayServer.start(LO, FAST));
        URI url = URI.create(relay.url());
        Recorder metrics = new Recorder();
        QuicEndpoint b = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(keep(new DefaultRelayProvider(List.of(url), QUICK)))
                .handler("sha/1", RouterTest::digest).metrics(metrics).build());
        QuicEndpoint a = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(keep(new DefaultRelayProvider(List.of(url), QUICK)))
                .build());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((b.addr().get().relayUrl().isEmpty() || a.addr().get().relayUrl().isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        // a ticket with the socket only (direct), or with the relay only (relayed: no direct address to move to)
        EndpointAddr to = kind == PathKind.DIRECT ? EndpointAddr.of(b.id(), null, List.of(b.localAddress()))
                : EndpointAddr.of(b.id(), url, List.of());
        Connection c = Blocking.await(a.connect(to, "sha/1"), Duration.ofSeconds(15));
        assertThat(c.path().get().kind()).isEqualTo(kind);

        byte[] data = new byte[2 << 20];
        new Random(0x5eed_0019L).nextBytes(data);
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        try (OutputStream out = s.send().outputStream()) {
            out.write(data);
        }
        try (InputStream in = s.recv().inputStream()) {
            assertThat(in.readAllBytes()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        }
        assertThat(c.path().get().kind()).as("stayed on its path").isEqualTo(kind);
        PathKind other = kind == PathKind.DIRECT ? PathKind.RELAY : PathKind.DIRECT;
        assertThat(metrics.received(kind)).as("received on the " + kind + " path").isGreaterThan(data.length);
        assertThat(metrics.received(other)).as("QUIC bytes on the other kind").isLessThan(data.length / 100);
        assertThat(metrics.sent(kind)).as("the acknowledgements went back the same way").isPositive();
    }

    @ParameterizedTest
    @EnumSource(PathKind.class)
    void hostileDatagramsAreDroppedForTheSameReasonsOnEitherKindOfPath(PathKind kind) throws Exception {
        Recorder metrics = new Recorder();
        QuicEndpoint e = keep(QuicEndpoint.builder(Identities.ephemeral()).bind(LO).metrics(metrics).build());
        PathAddr from = kind == PathKind.DIRECT ? new PathAddr.Direct(new InetSocketAddress("198.18.0.7", 4433))
                : new PathAddr.Relay(Identities.ephemeral().id());
        byte[] shortInitial = new byte[600]; // an Initial to the server role, in less than 1,200 bytes
        shortInitial[0] = (byte) 0xc0;
        shortInitial[4] = 1;
        shortInitial[5] = 8;
        byte[] handshakeOfNobody = shortInitial.clone(); // a long-header Handshake packet nobody's connection knows
        handshakeOfNobody[0] = (byte) 0xe0;
        byte[] truncated = {(byte) 0xc0, 0, 0, 0, 1}; // a long header cut short
        byte[] bigControl = new byte[PathLayer.MAX_CONTROL + 1]; // not QUIC, and larger than any probe
        e.onLoopGet(() -> {
            for (byte[] d : List.of(shortInitial, handshakeOfNobody, truncated, bigControl)) {
                e.router().inbound(from, Unpooled.wrappedBuffer(d.clone()), null);
            }
            e.router().readComplete();
            return null;
        });
        assertThat(metrics.dropped("short-initial")).as("RFC 9000 14.1, on either path").isEqualTo(1);
        assertThat(metrics.dropped("unroutable")).as("no peer, no Initial; and a truncated header").isEqualTo(2);
        assertThat(metrics.dropped("bad-probe")).isEqualTo(1);
        assertThat(metrics.received(kind)).isEqualTo(shortInitial.length * 2L + truncated.length + bigControl.length);
        assertThat(e.connections()).isEmpty();
    }
}
