package org.quiver.relay.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;

class CodecTest {
    private final LocalIdentity alice = Identities.ephemeral();
    private final EndpointId bob = Identities.ephemeral().id();

    private List<RelayFrame> everyKind() {
        byte[] challenge = new byte[RelayFrame.CHALLENGE_LENGTH];
        new Random(1).nextBytes(challenge);
        return List.of(
                new RelayFrame.ServerChallenge(challenge),
                new RelayFrame.ClientAuth(alice.id(), "relay.example:443", alice.sign(RelayFrame.ClientAuth.signedMessage(challenge, "relay.example:443"))),
                new RelayFrame.ServerConfirmsAuth(),
                new RelayFrame.ServerConfirmsAuth(RelayFrame.FEATURE_SEGMENTS),
                new RelayFrame.ServerDeniesAuth("signature does not verify"),
                new RelayFrame.ClientToRelayDatagram(bob, (byte) 2, new byte[] {1, 2, 3}),
                new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 0, new byte[RelayFrame.MAX_DATAGRAM]),
                new RelayFrame.ClientToRelayDatagrams(bob, (byte) 2, 1200, new byte[4 * 1200 + 7]),
                new RelayFrame.RelayToClientDatagrams(alice.id(), (byte) 1, 1, new byte[RelayFrame.MAX_SEGMENTS]),
                new RelayFrame.RelayToClientDatagrams(alice.id(), (byte) 0, 1472, new byte[44 * 1472]),
                new RelayFrame.EndpointGone(bob),
                new RelayFrame.Ping(0x0102030405060708L),
                new RelayFrame.Pong(-1),
                new RelayFrame.Health(""),
                new RelayFrame.Health("relay is draining: ünïcode ok"),
                new RelayFrame.Restarting(500, 0xffffffffL),
                new RelayFrame.Status(true, false),
                new RelayFrame.Status(false, true));
    }

    @Test
    void aDatagramFramedStraightFromItsBufferIsTheSameFrameAndLeavesTheBufferAsItWas() throws Exception {
        EndpointId to = Identities.ephemeral().id();
        byte[] payload = new byte[1200];
        new Random(7).nextBytes(payload);
        ByteBuffer direct = ByteBuffer.allocateDirect(1300);
        direct.position(50);
        direct.put(payload);
        direct.position(50).limit(50 + payload.length);
        ByteBuffer framed = Codec.encodeDatagram(to, direct);
        assertThat(framed).isEqualTo(Codec.encode(new RelayFrame.ClientToRelayDatagram(to, (byte) 0, payload)));
        assertThat(direct.position()).isEqualTo(50);
        assertThat(direct.remaining()).isEqualTo(payload.length);
        assertThat(Codec.decode(framed)).isEqualTo(new RelayFrame.ClientToRelayDatagram(to, (byte) 0, payload));
        // the same frame written into a given buffer after other bytes (a client's pooled buffer)
        ByteBuffer into = ByteBuffer.allocateDirect(2000).position(7);
        Codec.encodeDatagram(to, direct, into);
        assertThat(into.position()).isEqualTo(7 + Codec.datagramFrameLength(payload.length));
        assertThat(into.flip().position(7).slice()).isEqualTo(Codec.encode(new RelayFrame.ClientToRelayDatagram(to, (byte) 0, payload)));
        assertThat(direct.position()).isEqualTo(50);
        assertThatThrownBy(() -> Codec.encodeDatagram(to, direct, ByteBuffer.allocate(100))).isInstanceOf(java.nio.BufferOverflowException.class);
        assertThatThrownBy(() -> Codec.datagramFrameLength(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.encodeDatagram(to, ByteBuffer.allocate(0))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.encodeDatagram(to, ByteBuffer.allocate(RelayFrame.MAX_DATAGRAM + 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyFrameRoundTrips() throws Exception {
        for (RelayFrame f : everyKind()) {
            ByteBuffer bytes = Codec.encode(f);
            assertThat(bytes.get(0)).isEqualTo(f.type());
            RelayFrame back = Codec.decode(bytes);
            assertThat(back).as("%s", f).isEqualTo(f);
            assertThat(bytes.remaining()).isZero();
        }
    }

    @Test
    void everyFrameWrittenIntoAGivenBufferIsItsEncodingAndItsLengthIsKnownBefore() throws Exception {
        ByteBuffer into = ByteBuffer.allocateDirect(2 * RelayFrame.MAX_FRAME);
        for (RelayFrame f : everyKind()) {
            ByteBuffer alone = Codec.encode(f);
            assertThat(Codec.encodedLength(f)).as("%s", f).isEqualTo(alone.remaining());
            into.clear().position(3); // after other bytes, as in a batch
            Codec.encode(f, into);
            assertThat(into.position()).isEqualTo(3 + alone.remaining());
            ByteBuffer written = into.flip().position(3).slice();
            assertThat(written).as("%s", f).isEqualTo(alone);
            assertThat(Codec.decode(written)).isEqualTo(f);
        }
        RelayFrame big = new RelayFrame.RelayToClientDatagram(bob, (byte) 0, new byte[100]);
        assertThatThrownBy(() -> Codec.encode(big, ByteBuffer.allocate(Codec.encodedLength(big) - 1)))
                .isInstanceOf(java.nio.BufferOverflowException.class);
    }

    @Test
    void theAuthSignatureBindsTheChallenge() {
        byte[] challenge = new byte[RelayFrame.CHALLENGE_LENGTH];
        RelayFrame.ClientAuth auth = new RelayFrame.ClientAuth(alice.id(), "relay.example:443", alice.sign(RelayFrame.ClientAuth.signedMessage(challenge, "relay.example:443")));
        assertThat(auth.verifies(challenge)).isTrue();
        byte[] other = challenge.clone();
        other[0] = 1;
        assertThat(auth.verifies(other)).as("replayed against another challenge").isFalse();
        RelayFrame.ClientAuth forged = new RelayFrame.ClientAuth(bob, "relay.example:443", auth.signature());
        assertThat(forged.verifies(challenge)).as("someone else's signature").isFalse();
        RelayFrame.ClientAuth elsewhere = new RelayFrame.ClientAuth(alice.id(), "other.example:443", auth.signature());
        assertThat(elsewhere.verifies(challenge)).as("the signature names the relay: it does not hold for another").isFalse();
        assertThat(RelayFrame.ClientAuth.authority(java.net.URI.create("wss://Relay.Example/relay"))).isEqualTo("relay.example:443");
        assertThat(RelayFrame.ClientAuth.authority(java.net.URI.create("ws://[::1]:3340/relay"))).isEqualTo("[::1]:3340");
        assertThat(RelayFrame.ClientAuth.authority(java.net.URI.create("ws://10.0.0.1/relay"))).isEqualTo("10.0.0.1:80");
    }

    @Test
    void everyTruncationAndExtensionIsRejected() {
        for (RelayFrame f : everyKind()) {
            byte[] full = Codec.encode(f).array();
            boolean variable = f instanceof RelayFrame.ServerDeniesAuth || f instanceof RelayFrame.Health
                    || f instanceof RelayFrame.ClientToRelayDatagram || f instanceof RelayFrame.RelayToClientDatagram
                    || f instanceof RelayFrame.ClientToRelayDatagrams || f instanceof RelayFrame.RelayToClientDatagrams
                    || f instanceof RelayFrame.ServerConfirmsAuth c && c.features() != 0;
            if (!variable) {
                for (int cut = 0; cut < full.length; cut++) {
                    ByteBuffer b = ByteBuffer.wrap(full, 0, cut);
                    assertThatThrownBy(() -> Codec.decode(b)).as("%s cut to %d", f, cut).isInstanceOf(MalformedFrameException.class);
                }
                byte[] longer = java.util.Arrays.copyOf(full, full.length + 1);
                assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(longer))).isInstanceOf(MalformedFrameException.class);
            }
        }
        // datagram frames need a destination, an ECN byte and at least one byte
        byte[] d = Codec.encode(new RelayFrame.ClientToRelayDatagram(bob, (byte) 0, new byte[] {9})).array();
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(d, 0, d.length - 1))).hasMessageContaining("too short");
    }

    @Test
    void limitsAndBadFieldsAreClearErrors() {
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.allocate(0))).hasMessageContaining("empty");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.allocate(RelayFrame.MAX_FRAME + 1))).hasMessageContaining("over the");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(new byte[] {0x7f}))).hasMessageContaining("unknown frame type 0x7f");
        byte[] longText = new byte[1 + RelayFrame.MAX_TEXT + 1];
        longText[0] = 0x0a;
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(longText))).hasMessageContaining("text of 1025 bytes");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(new byte[] {0x04, (byte) 0xc3}))).hasMessageContaining("not UTF-8");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(new byte[] {0x0c, 4}))).hasMessageContaining("flags");
        byte[] notAPoint = new byte[33];
        notAPoint[0] = 0x07;
        java.util.Arrays.fill(notAPoint, 1, 33, (byte) 0xff);
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(notAPoint))).hasMessageContaining("not an endpoint id");
        assertThatThrownBy(() -> new RelayFrame.ClientToRelayDatagram(bob, (byte) 0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Health("x".repeat(1025))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Restarting(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.ServerChallenge(new byte[3])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void segmentedFramesAndFeaturesAreCheckedStrictly() {
        // features: only the ones this version knows, and a zero byte is not how "none" is written
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(new byte[] {0x03, 2}))).hasMessageContaining("unknown relay features");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(new byte[] {0x03, 0}))).hasMessageContaining("unknown relay features");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(new byte[] {0x03, 1, 0}))).hasMessageContaining("1-byte body");
        assertThatThrownBy(() -> new RelayFrame.ServerConfirmsAuth(4)).isInstanceOf(IllegalArgumentException.class);
        // a burst: a segment size of 1 to the limit, 1 to 64 datagrams, at least one byte
        byte[] ok = Codec.encode(new RelayFrame.ClientToRelayDatagrams(bob, (byte) 0, 100, new byte[250])).array();
        ByteBuffer zero = ByteBuffer.wrap(ok.clone());
        zero.putShort(34, (short) 0);
        assertThatThrownBy(() -> Codec.decode(zero)).hasMessageContaining("segments of 0");
        ByteBuffer tooMany = ByteBuffer.wrap(ok.clone());
        tooMany.putShort(34, (short) 3); // 250 bytes in 3-byte segments: 84 datagrams
        assertThatThrownBy(() -> Codec.decode(tooMany)).hasMessageContaining("1 to 64 datagrams");
        assertThatThrownBy(() -> Codec.decode(ByteBuffer.wrap(ok, 0, 36))).hasMessageContaining("too short");
        assertThatThrownBy(() -> new RelayFrame.RelayToClientDatagrams(bob, (byte) 0, 1, new byte[65])).hasMessageContaining("at most 64");
        assertThatThrownBy(() -> new RelayFrame.RelayToClientDatagrams(bob, (byte) 0, 1200, new byte[RelayFrame.MAX_SEGMENTED + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.datagramsFrameLength(100, 0)).isInstanceOf(IllegalArgumentException.class);
        // written straight from a buffer: the same frame, the buffer left as it was
        ByteBuffer burst = ByteBuffer.wrap(new byte[250]).position(10);
        ByteBuffer into = ByteBuffer.allocate(Codec.datagramsFrameLength(240, 100));
        Codec.encodeDatagrams(bob, burst, 100, into);
        assertThat(into.hasRemaining()).isFalse();
        assertThat(burst.position()).isEqualTo(10);
        assertThat(into.array()).isEqualTo(Codec.encode(new RelayFrame.ClientToRelayDatagrams(bob, (byte) 0, 100, new byte[240])).array());
        assertThat(Codec.MAX_BATCHED_FRAME).as("the largest burst fits a batch")
                .isGreaterThanOrEqualTo(Codec.datagramsFrameLength(RelayFrame.MAX_SEGMENTED, 1472));
    }

    /** Random bytes and mutated frames either decode to a frame that encodes back to them, or fail cleanly. */
    @Test
    void randomInputNeverThrowsAnythingElse() throws Exception {
        Random random = new Random(0x5eed_0021L);
        List<RelayFrame> seeds = everyKind();
        for (int i = 0; i < 20_000; i++) {
            byte[] input;
            if (i % 2 == 0) {
                input = new byte[random.nextInt(200)];
                random.nextBytes(input);
            } else {
                byte[] seed = Codec.encode(seeds.get(random.nextInt(seeds.size()))).array();
                input = java.util.Arrays.copyOf(seed, Math.min(seed.length, 300));
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt();
                }
            }
            try {
                RelayFrame f = Codec.decode(ByteBuffer.wrap(input));
                assertThat(Codec.encode(f).array()).isEqualTo(input);
            } catch (MalformedFrameException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aBatchHoldsSeveralFramesAndABrokenOneIsNamed() throws Exception {
        org.quiver.api.EndpointId id = org.quiver.identity.Identities.ephemeral().id();
        java.util.List<RelayFrame> sent = java.util.List.of(new RelayFrame.Ping(7),
                new RelayFrame.RelayToClientDatagram(id, (byte) 0, new byte[] {1, 2, 3}), new RelayFrame.Pong(8));
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write(Codec.BATCH);
        for (RelayFrame f : sent) {
            byte[] e = Codec.encode(f).array();
            b.write(e.length >>> 8);
            b.write(e.length);
            b.write(e, 0, e.length);
        }
        java.util.List<RelayFrame> got = new java.util.ArrayList<>();
        for (java.nio.ByteBuffer one : Codec.frames(java.nio.ByteBuffer.wrap(b.toByteArray()))) {
            got.add(Codec.decode(one));
        }
        org.assertj.core.api.Assertions.assertThat(got).isEqualTo(sent);
        // a plain message is its one frame
        org.assertj.core.api.Assertions.assertThat(Codec.frames(Codec.encode(new RelayFrame.Ping(1)))).hasSize(1);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Codec.frames(java.nio.ByteBuffer.wrap(new byte[] {0x7f})))
                .isInstanceOf(MalformedFrameException.class).hasMessage("an empty batch");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Codec.frames(java.nio.ByteBuffer.wrap(new byte[] {0x7f, 0})))
                .hasMessage("a batch ends inside a length");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Codec.frames(java.nio.ByteBuffer.wrap(new byte[] {0x7f, 0, 0})))
                .hasMessageContaining("a batched frame of 0 bytes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Codec.frames(java.nio.ByteBuffer.wrap(new byte[] {0x7f, 0, 5, 8, 0})))
                .hasMessage("a batched frame of 5 bytes, 2 left in the batch");
        // a batch inside a batch is a frame of an unknown type
        java.nio.ByteBuffer nested = Codec.frames(java.nio.ByteBuffer.wrap(new byte[] {0x7f, 0, 1, 0x7f})).get(0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Codec.decode(nested)).isInstanceOf(MalformedFrameException.class);
    }
}
