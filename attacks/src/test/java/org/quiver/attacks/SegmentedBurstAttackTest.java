package org.quiver.attacks;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
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
 * Segmented datagram frames (a burst of up to 64 datagrams in one frame, relay protocol 0.5.0) against a real relay,
 * from clients that speak the protocol with the JDK's WebSocket: a client that did not ask for them may not send
 * them (closed, nothing forwarded), a frame that claims more datagrams than the limit is malformed (closed, nothing
 * forwarded), and a burst to a receiver that did not ask reaches it as single datagrams, byte for byte: a relay never
 * sends a client a frame it did not ask for, and cutting a burst costs it at most 64 frames.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SegmentedBurstAttackTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** A relay client on the JDK's WebSocket: records the frames it gets and how its connection ended. */
    private static final class Client implements WebSocket.Listener {
        final LinkedBlockingQueue<RelayFrame> in = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket ws;

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            try {
                for (ByteBuffer one : Codec.frames(data)) {
                    in.add(Codec.decode(one));
                }
            } catch (Exception e) {
                closed.complete("undecodable from the relay: " + e);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete("error " + error);
        }

        static Client login(RelayServer relay, LocalIdentity who, boolean asksForSegments) throws Exception {
            Client c = new Client();
            WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
            if (asksForSegments) {
                b.header(Codec.SEGMENTS_HEADER, "1");
            }
            c.ws = b.buildAsync(URI.create(relay.url()), c).join();
            RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) c.in.poll(10, TimeUnit.SECONDS);
            String name = RelayFrame.ClientAuth.authority(URI.create(relay.url()));
            c.send(new RelayFrame.ClientAuth(who.id(), name, who.sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), name))));
            assertThat(c.in.poll(10, TimeUnit.SECONDS)).as("told what the relay takes, only when it asked")
                    .isEqualTo(new RelayFrame.ServerConfirmsAuth(asksForSegments ? RelayFrame.FEATURE_SEGMENTS : 0));
            return c;
        }

        void send(RelayFrame f) {
            ws.sendBinary(Codec.encode(f), true).join();
        }

        void sendRaw(byte[] bytes) {
            ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
        }
    }

    private static RelayServer relay() throws Exception {
        return RelayServer.start(LO, new RelayCore.Limits(100, 512, 1L << 30, 1L << 30));
    }

    @Test
    void aClientThatDidNotAskForSegmentedFramesIsClosedForSendingOne() throws Exception {
        try (RelayServer relay = relay()) {
            LocalIdentity mallory = Identities.ephemeral();
            LocalIdentity bob = Identities.ephemeral();
            Client m = Client.login(relay, mallory, false);
            Client b = Client.login(relay, bob, true);
            m.send(new RelayFrame.ClientToRelayDatagrams(bob.id(), (byte) 0, 100, new byte[1000]));
            assertThat(m.closed.get(10, TimeUnit.SECONDS)).as("closed by the relay").isNotBlank();
            assertThat(b.in.poll(300, TimeUnit.MILLISECONDS)).as("nothing forwarded").isNull();
            assertThat(relay.core().stats().forwarded()).isZero();
            assertThat(relay.core().stats().refused()).as("counted").isEqualTo(1);
        }
    }

    @Test
    void aFrameClaimingMoreThanSixtyFourDatagramsIsMalformed() throws Exception {
        try (RelayServer relay = relay()) {
            LocalIdentity mallory = Identities.ephemeral();
            LocalIdentity bob = Identities.ephemeral();
            Client m = Client.login(relay, mallory, true);
            Client b = Client.login(relay, bob, false);
            // 65 one-byte datagrams: a valid frame's layout, one datagram over the limit (a relay cutting it for bob
            // would owe 65 frames; with a segment size of 1 and 65,499 bytes it would owe 65,499)
            ByteBuffer f = ByteBuffer.allocate(1 + 32 + 1 + 2 + 65);
            f.put((byte) 0x0d).put(bob.id().toBytes()).put((byte) 0).putShort((short) 1);
            m.sendRaw(f.array());
            assertThat(m.closed.get(10, TimeUnit.SECONDS)).as("closed by the relay").isNotBlank();
            assertThat(b.in.poll(300, TimeUnit.MILLISECONDS)).as("nothing forwarded").isNull();
            assertThat(relay.core().stats().forwarded()).isZero();
        }
    }

    @Test
    void aBurstToAClientThatDidNotAskArrivesAsSingleDatagrams() throws Exception {
        try (RelayServer relay = relay()) {
            LocalIdentity alice = Identities.ephemeral();
            LocalIdentity bob = Identities.ephemeral();
            Client a = Client.login(relay, alice, true);
            Client b = Client.login(relay, bob, false);
            byte[] burst = new byte[63 * 20 + 7]; // 64 datagrams, the last one 7 bytes
            new java.util.Random(3).nextBytes(burst);
            a.send(new RelayFrame.ClientToRelayDatagrams(bob.id(), (byte) 1, 20, burst));
            for (int i = 0; i < 64; i++) {
                RelayFrame got = b.in.poll(10, TimeUnit.SECONDS);
                byte[] want = java.util.Arrays.copyOfRange(burst, i * 20, Math.min(burst.length, i * 20 + 20));
                assertThat(got).as("datagram %d", i).isEqualTo(new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 1, want));
            }
            assertThat(b.in.poll(300, TimeUnit.MILLISECONDS)).as("nothing more").isNull();
            assertThat(relay.core().stats().forwarded()).isEqualTo(64);
            assertThat(a.closed).isNotDone();
            assertThat(b.closed).isNotDone();
        }
    }
}
