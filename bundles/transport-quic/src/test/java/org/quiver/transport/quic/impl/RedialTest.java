package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * Closing a connection and dialing the same peer again at once, ten times: each new connection works, and
 * both endpoints close promptly afterwards (a close-and-redial once seemed to make them exchange packets
 * flat out; kept as a regression test).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedialTest {
    @Test
    void closeAndRedial() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                     .probeInterval(Duration.ofMillis(100)).handler("m/1", MetricsWiringTest::countBytes).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).build()) {
            for (int i = 0; i < 10; i++) {
                Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "m/1"), Duration.ofSeconds(10));
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                try (OutputStream out = s.send().outputStream()) {
                    out.write(new byte[1 << 20]);
                }
                try (InputStream in = s.recv().inputStream()) {
                    assertThat(new String(in.readAllBytes())).isEqualTo(Integer.toString(1 << 20));
                }
                c.close();
            }
            // a storm of packets between the two would keep them from closing in time
            a.closeAsync().toCompletableFuture().get(5, TimeUnit.SECONDS);
            b.closeAsync().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    /**
     * A peer that restarts (same identity, another port) and dials again must be answered at its new port:
     * its pings reach the old peer entry first, and the new connection's handshake once went to the old,
     * dead port (seen with `bin/quiver -c` run twice against one node).
     */
    @Test
    void aRestartedPeerIsAnsweredAtItsNewPort() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        org.quiver.api.LocalIdentity a = Identities.ephemeral();
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).probeInterval(Duration.ofMillis(100))
                .handler("m/1", MetricsWiringTest::countBytes).build()) {
            for (int run = 0; run < 3; run++) {
                try (QuicEndpoint client = QuicEndpoint.builder(a).bind(lo).probeInterval(Duration.ofMillis(100)).build()) {
                    Connection c = Blocking.await(client.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "m/1"),
                            Duration.ofSeconds(10));
                    BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                    try (OutputStream out = s.send().outputStream()) {
                        out.write(new byte[1000]);
                    }
                    try (InputStream in = s.recv().inputStream()) {
                        assertThat(new String(in.readAllBytes())).as("run " + run).isEqualTo("1000");
                    }
                    Thread.sleep(300); // probes run both ways
                }
            }
        }
    }
}
