package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Connection churn: dial, open a stream, reset it, close, over and over between two endpoints on loopback
 * (the set-up benchmark's loop, which once wedged the endpoint: every dial timed out from some cycle on and
 * close() did not finish). Every cycle must succeed, and both endpoints close promptly afterwards.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ChurnTest {
    static final int PAIRS = Integer.getInteger("quiver.churn.pairs", 3);
    static final int CYCLES = Integer.getInteger("quiver.churn.cycles", 1000);

    @Test
    void thousandsOfConnectStreamResetCloseCyclesNeverWedge() throws Exception {
        churn(PAIRS, c -> { });
    }

    /** The same with a replay-safe protocol: every reconnect resumes and opens its stream in 0-RTT. */
    @Test
    void thousandsOf0RttCyclesNeverWedge() throws Exception {
        churn(1, new org.quiver.api.ProtocolHandler() {
            @Override
            public void accept(Connection c) {
            }

            @Override
            public boolean replaySafe() {
                return true;
            }
        });
    }

    private static void churn(int pairs, org.quiver.api.ProtocolHandler h) throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        int done = 0;
        for (int pair = 0; pair < pairs; pair++) {
            try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("churn/1", h).build();
                 QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("churn/1", h).build()) {
                EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(server.localAddress()));
                for (int i = 0; i < CYCLES; i++) {
                    try {
                        Connection c = Blocking.await(client.connect(target, "churn/1"), Duration.ofSeconds(10));
                        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                        s.send().reset(0);
                        c.close();
                    } catch (Exception e) {
                        throw new AssertionError("pair " + pair + ", cycle " + i + " failed after " + done + " good cycles", e);
                    }
                    done++;
                }
                client.closeAsync().toCompletableFuture().get(5, TimeUnit.SECONDS);
                server.closeAsync().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        }
        assertThat(done).isEqualTo(pairs * CYCLES);
    }
}
