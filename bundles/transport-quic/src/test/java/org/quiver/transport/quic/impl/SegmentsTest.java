package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * Segmentation and receive offload between two real endpoints: with them on (the default) QUIC's bursts leave as
 * segmented sends from both roles and a stream crosses intact both ways; with them off nothing is segmented and the
 * same stream crosses as well. Without epoll (the NIO run of this suite) nothing is ever segmented.
 */
class SegmentsTest {
    private static final int BYTES = 8 << 20;
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** Echoes every stream it is given. */
    private static EndpointBuilder echoing(EndpointBuilder b) {
        return b.bind(LO).handler("echo/1", conn -> {
            BiStream s = Blocking.await(conn.acceptBi(), Duration.ofSeconds(30));
            try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                in.transferTo(out);
            }
        });
    }

    /** Sends {@code BYTES} seeded bytes on one stream and reads the echo; true when it is the same. */
    private static boolean echoesIntact(Connection c) throws Exception {
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            byte[] chunk = new byte[64 * 1024];
            Random r = new Random(7);
            try (OutputStream out = s.send().outputStream()) {
                for (int n = 0; n < BYTES; n += chunk.length) {
                    r.nextBytes(chunk);
                    sent.update(chunk);
                    out.write(chunk);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (InputStream in = s.recv().inputStream()) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.update(buf, 0, n);
                total += n;
            }
        }
        writing.get(60, TimeUnit.SECONDS);
        return total == BYTES && MessageDigest.isEqual(sent.digest(), got.digest());
    }

    @Test
    void withOffloadOnBurstsLeaveAsOneSendFromBothRolesAndAStreamCrossesIntactBothWays() throws Exception {
        try (QuicEndpoint b = echoing(QuicEndpoint.builder(Identities.ephemeral())).build();
                QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build()) {
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "echo/1"),
                    Duration.ofSeconds(10));
            assertThat(echoesIntact(c)).as("the echo of 8 MiB is byte-exact").isTrue();
            if (Segments.supported()) {
                assertThat(a.router().bursts.sum()).as("the dialer's bursts left as segmented sends").isGreaterThan(10);
                assertThat(b.router().bursts.sum()).as("the acceptor's bursts left as segmented sends").isGreaterThan(10);
            } else {
                assertThat(a.router().bursts.sum() + b.router().bursts.sum()).as("without epoll nothing is segmented").isZero();
            }
            assertThat(a.router().burstsCut.sum() + b.router().burstsCut.sum()).as("nothing was cut on a direct path").isZero();
        }
    }

    @Test
    void withOffloadOffEveryDatagramLeavesOnItsOwnAndAStreamCrossesIntact() throws Exception {
        try (QuicEndpoint b = echoing(QuicEndpoint.builder(Identities.ephemeral())).segments(0).receiveOffload(false).build();
                QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).segments(1).receiveOffload(false).build()) {
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "echo/1"),
                    Duration.ofSeconds(10));
            assertThat(echoesIntact(c)).as("the echo of 8 MiB is byte-exact").isTrue();
            assertThat(a.router().bursts.sum() + b.router().bursts.sum() + a.router().burstsCut.sum() + b.router().burstsCut.sum())
                    .as("no bursts at all").isZero();
        }
    }

    @Test
    void oneOffloadOnOneSideOnlyStillCarriesTheStream() throws Exception {
        // segmented sends to a socket without receive offload, and plain sends to one with it
        try (QuicEndpoint b = echoing(QuicEndpoint.builder(Identities.ephemeral())).receiveOffload(false).build();
                QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).segments(0).build()) {
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "echo/1"),
                    Duration.ofSeconds(10));
            assertThat(echoesIntact(c)).as("the echo of 8 MiB is byte-exact").isTrue();
            assertThat(a.router().bursts.sum()).isZero();
        }
    }

    @Test
    void aBurstIsCutIntoItsDatagramsTheLastOneShorterAndReleased() {
        ByteBuf burst = Unpooled.buffer(2 * 1200 + 700);
        for (int i = 0; i < 3100; i++) {
            burst.writeByte(i / 1200); // each datagram's bytes carry its index
        }
        List<ByteBuf> datagrams = new ArrayList<>();
        Segments.cut(burst, 1200, datagrams::add);
        assertThat(burst.refCnt()).as("the burst itself is released; its datagrams hold the memory").isEqualTo(3);
        assertThat(datagrams).extracting(ByteBuf::readableBytes).containsExactly(1200, 1200, 700);
        for (int i = 0; i < 3; i++) {
            ByteBuf d = datagrams.get(i);
            assertThat(d.getByte(d.readerIndex())).isEqualTo((byte) i);
            assertThat(d.getByte(d.writerIndex() - 1)).isEqualTo((byte) i);
            d.release();
        }
        assertThat(burst.refCnt()).isZero();
        assertThat(Segments.of(1)).as("one segment per send is no segmentation").isNull();
        assertThat(Segments.of(0)).isNull();
        if (Segments.supported()) {
            assertThat(Segments.of(1000).maxNumSegments()).as("at most what one 64 KiB send carries").isEqualTo(Segments.MAX);
        }
    }
}
