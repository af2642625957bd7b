package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * The first request on a new connection is not lost. After a full handshake the dialer sends its Finished and, at
 * once, its first request; the acceptor takes the Finished in a TLS task netty queues (the check of the dialer's
 * certificate), and quiche dropped the request's 1-RTT packets read in the same batch before that task ran: the
 * dialer resent them a probe timeout later (11 of 40 connections on a 20 ms path, each answered ~100 ms late).
 * Through a forwarder that delays but never drops, the dialer's QUIC must count no packet lost.
 */
class FirstRequestTest {
    @Test
    void theFirstRequestAfterAFullHandshakeIsTakenWithoutARetransmission() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("echo/1", c -> {
            BiStream s = Blocking.await(c.acceptBi(), Duration.ofSeconds(30));
            byte[] request = s.recv().inputStream().readNBytes(8);
            try (OutputStream out = s.send().outputStream()) {
                out.write(request);
            }
        }).build(); QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                .sessionResumption(0, Duration.ofHours(1)).build(); // every connection a full handshake
             DelayLine line = new DelayLine(client.localAddress(), server.localAddress(), 10)) {
            EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(line.address()));
            List<String> withLoss = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Connection c = Blocking.await(client.connect(target, "echo/1"), Duration.ofSeconds(10));
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                try (OutputStream out = s.send().outputStream()) {
                    out.write(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) i});
                }
                assertThat(s.recv().inputStream().readNBytes(8)).as("the answer").endsWith((byte) i);
                io.netty.handler.codec.quic.QuicConnectionStats stats = ((QuicConnectionImpl) c).channel().collectStats().get();
                if (stats.lost() > 0) {
                    withLoss.add("connection " + i + ": " + stats.lost() + " lost of " + stats.sent());
                }
                c.close();
            }
            // nothing on this path drops a datagram; one connection is allowed a spurious loss (a loaded machine's
            // timer can fire late), the bug lost packets on a quarter of them
            assertThat(withLoss).as("connections whose dialer lost packets").hasSizeLessThanOrEqualTo(1);
        }
    }
}
