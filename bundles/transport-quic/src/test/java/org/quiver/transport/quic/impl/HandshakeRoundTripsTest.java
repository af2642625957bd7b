package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * A full handshake costs the round trips it must, no more: the dial completes as soon as the client's Finished is
 * out. (netty looks at whether a handshake is done only when a packet arrives; after the signature of our
 * certificate, a TLS task, the dial used to complete only with the server's next packet, a round trip later: see
 * {@code Dialer.sending}.) On a path with 50 ms each way, the dial must be done before the server's first 1-RTT
 * packet, which can only come a round trip after the Finished, reaches the dialer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandshakeRoundTripsTest {
    @Test
    void aFullHandshakesDialCompletesBeforeTheServersFirst1RttPacketArrives() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("h/1", c -> { }).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).sessionResumption(0, Duration.ofHours(1)).build();
             DelayLine path = new DelayLine(a.localAddress(), b.localAddress(), 50)) {
            EndpointAddr bOnPath = EndpointAddr.of(b.id(), null, List.of(path.address()));
            for (int round = 0; round < 3; round++) {
                path.record();
                Connection c = Blocking.await(a.connect(bOnPath, "h/1"), Duration.ofSeconds(10));
                long connected = System.nanoTime();
                long first1Rtt = path.firstShortHeaderToOne();
                path.recorded();
                assertThat(c.resumed()).as("a full handshake, with a's certificate signed").isFalse();
                assertThat(first1Rtt == 0 || connected < first1Rtt)
                        .as("round %d: the dial completed %s the server's first 1-RTT packet arrived", round,
                                first1Rtt == 0 ? "before" : String.format("%.1f ms after", (connected - first1Rtt) / 1e6))
                        .isTrue();
                c.close();
                Blocking.await(c.closed(), Duration.ofSeconds(10));
                Thread.sleep(300); // the last packets of this connection pass before the next round looks
            }
        }
    }
}
