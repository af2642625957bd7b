package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * Run by the surefire execution "nio", with {@code io.netty.transport.noNative=true}: where epoll is missing (another
 * OS, a container without it), the endpoint runs on NIO, and a transfer arrives intact. The same execution runs
 * {@link RelayPathTest} on NIO.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NioFallbackTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void withoutEpollTheEndpointRunsOnNioAndCarriesATransferIntact() throws Exception {
        // only the 'nio' execution turns epoll off (a -Dtest=... on the command line also runs it in the default one)
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("io.netty.transport.noNative"), "run by the 'nio' execution");
        assertThat(io.netty.channel.epoll.Epoll.isAvailable()).as("epoll is off in this run").isFalse();
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("sha/1", RelayPathTest::digestHandler).build();
             QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build()) {
            Connection c = Blocking.await(client.connect(EndpointAddr.of(server.id(), null, List.of(server.localAddress())), "sha/1"),
                    Duration.ofSeconds(10));
            byte[] data = new byte[16 << 20];
            new Random(3).nextBytes(data);
            BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
            try (OutputStream out = s.send().outputStream()) {
                out.write(data);
            }
            String answer;
            try (InputStream in = s.recv().inputStream()) {
                answer = new String(in.readAllBytes());
            }
            assertThat(answer).isEqualTo(data.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
        }
    }
}
