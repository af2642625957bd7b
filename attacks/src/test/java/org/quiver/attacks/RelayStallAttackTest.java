package org.quiver.attacks;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.protocol.Codec;
import org.quiver.relay.protocol.RelayFrame;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/**
 * Attack 2: relay clients that log in, never read, and ping as fast as they can. Measured before: one such client
 * grew the relay's queue to 170,586 pongs in 60 s, and two of them pushed a normal client's relay ping from 1.2 ms
 * to 10 s timeouts. Now pings are answered 16 at once and 10 a second (the rest dropped, counted), and what waits
 * for a client is bounded (512 datagrams, oldest dropped; 64 control frames, then it is closed as not reading): a
 * normal client's ping stays fast while they go on.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RelayStallAttackTest {
    /** A client speaking the relay protocol with the JDK's WebSocket; it reads only while {@code reading}. */
    private static final class Client implements WebSocket.Listener {
        final LinkedBlockingQueue<RelayFrame> in = new LinkedBlockingQueue<>();
        volatile boolean reading = true;
        WebSocket ws;

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            try {
                in.add(Codec.decode(data));
            } catch (Exception e) {
                // not for this test
            }
            if (reading) {
                webSocket.request(1);
            }
            return null;
        }

        static Client login(RelayServer relay, LocalIdentity who) throws Exception {
            Client c = new Client();
            c.ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(relay.url()), c).join();
            RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) c.in.poll(10, TimeUnit.SECONDS);
            String name = RelayFrame.ClientAuth.authority(URI.create(relay.url()));
            c.send(new RelayFrame.ClientAuth(who.id(), name, who.sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), name))));
            assertThat(c.in.poll(10, TimeUnit.SECONDS)).isEqualTo(new RelayFrame.ServerConfirmsAuth());
            return c;
        }

        void send(RelayFrame f) {
            ws.sendBinary(Codec.encode(f), true).join();
        }
    }

    @Test
    void clientsThatNeverReadAreClosedAndANormalClientsPingStaysFast() throws Exception {
        try (RelayServer relay = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RelayCore.Limits.DEFAULT)) {
            LocalIdentity a = Identities.ephemeral();
            LocalIdentity b = Identities.ephemeral();
            Client attackerA = Client.login(relay, a);
            Client attackerB = Client.login(relay, b);
            Client normal = Client.login(relay, Identities.ephemeral());
            attackerA.reading = false; // from the next frame on, neither reads
            attackerB.reading = false;

            java.util.concurrent.atomic.AtomicLong pings = new java.util.concurrent.atomic.AtomicLong();
            Thread flood = new Thread(() -> {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                for (long i = 0; System.nanoTime() < until; i++) { // bounded: 8 s
                    try {
                        attackerA.send(new RelayFrame.Ping(i));
                        attackerB.send(new RelayFrame.Ping(i));
                        pings.addAndGet(2);
                    } catch (Exception closedByTheRelay) {
                        return;
                    }
                }
            });
            long floodStart = System.nanoTime();
            flood.start();

            // a normal client pings ten times a second (within its budget) while the attackers go on
            List<Long> rtts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long t0 = System.nanoTime();
                normal.send(new RelayFrame.Ping(1_000_000 + i));
                RelayFrame f;
                do {
                    f = normal.in.poll(10, TimeUnit.SECONDS);
                } while (f != null && !(f instanceof RelayFrame.Pong));
                rtts.add(f == null ? TimeUnit.SECONDS.toNanos(10) : System.nanoTime() - t0);
                Thread.sleep(100);
            }
            flood.join(30_000);
            rtts.sort(null);
            double median = rtts.get(rtts.size() / 2) / 1e6;
            double worst = rtts.get(rtts.size() - 1) / 1e6;
            System.out.printf("normal client's relay ping while 2 clients sent %d pings and read nothing: median %.2f ms, worst %.2f ms;"
                    + " pings over budget %d%n", pings.get(), median, worst, relay.core().pingsDropped());
            assertThat(median).as("median relay ping of a normal client, ms (10 s timeouts before)").isLessThan(50);
            // each attacker was answered its burst and 10 a second since it began; the rest was dropped
            double seconds = (System.nanoTime() - floodStart) / 1e9;
            assertThat(pings.get() - relay.core().pingsDropped()).as("pongs for the attackers in %.1f s", seconds)
                    .isLessThanOrEqualTo((long) (2 * (16 + 10 * (seconds + 1))));
            assertThat(relay.core().stats().authenticated()).as("the normal client is still there").isGreaterThanOrEqualTo(1);
        }
    }
}
