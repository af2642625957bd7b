package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;

class ProbeTest {
    private final LocalIdentity alice = Identities.ephemeral();
    private final LocalIdentity bob = Identities.ephemeral();
    private final LocalIdentity mallory = Identities.ephemeral();

    private static byte[] encode(byte type, long tx, LocalIdentity from, LocalIdentity to, InetSocketAddress a) {
        return Probe.encode(type, tx, from.id(), to.id(), a, Probe.mac(from, to.id()));
    }

    /** Decodes as {@code self}, knowing every test identity's key. */
    private Probe.Result decode(byte[] d, LocalIdentity self) {
        return Probe.decode(d, self.id(), self.id().toBytes(), (datagram, off) -> {
            for (LocalIdentity other : new LocalIdentity[] {alice, bob, mallory}) {
                if (java.util.Arrays.equals(datagram, off, off + 32, other.id().toBytes(), 0, 32)) {
                    return new Probe.Keyed(other.id(), Probe.mac(self, other.id()));
                }
            }
            return null;
        });
    }

    @Test
    void roundTripsPingsAndPongsOverBothFamilies() {
        InetSocketAddress v4 = new InetSocketAddress("198.18.0.7", 4433);
        byte[] ping = encode(Probe.PING, 0x1234_5678_9abc_def0L, alice, bob, v4);
        assertThat(ping).hasSize(Probe.LENGTH);
        assertThat(ping[0] & 0x40).as("QUIC fixed bit clear").isZero();
        Probe p = decode(ping, bob).probe();
        assertThat(p.type).isEqualTo(Probe.PING);
        assertThat(p.tx).isEqualTo(0x1234_5678_9abc_def0L);
        assertThat(p.sender).isEqualTo(alice.id());
        assertThat(p.address).isEqualTo(v4);
        InetSocketAddress v6 = new InetSocketAddress("2001:db8::5", 65535);
        Probe q = decode(encode(Probe.PONG, -1, bob, alice, v6), alice).probe();
        assertThat(q.type).isEqualTo(Probe.PONG);
        assertThat(q.address).isEqualTo(v6);
        assertThat(q.toString()).contains("pong").contains(bob.id().shortString());
    }

    @Test
    void aForgedProbeFailsItsTag() {
        byte[] forged = encode(Probe.PONG, 7, mallory, alice, new InetSocketAddress("198.18.0.1", 1));
        System.arraycopy(bob.id().toBytes(), 0, forged, 10, 32); // claims to be bob, tagged with mallory's key
        assertThat(decode(forged, alice).reject()).isEqualTo(Probe.Reject.BAD_TAG);
        // mallory cannot make bob's key with alice: she would need alice's or bob's secret key
        byte[] guessed = Probe.encode(Probe.PONG, 7, bob.id(), alice.id(), new InetSocketAddress("198.18.0.1", 1), Probe.mac(mallory, bob.id()));
        assertThat(decode(guessed, alice).reject()).isEqualTo(Probe.Reject.BAD_TAG);
    }

    @Test
    void aSenderWithoutAKeyIsRefused() {
        byte[] ping = encode(Probe.PING, 1, alice, bob, new InetSocketAddress("198.18.0.1", 5));
        assertThat(Probe.decode(ping, bob.id(), bob.id().toBytes(), (d, off) -> null).reject()).isEqualTo(Probe.Reject.NO_KEY);
    }

    @Test
    void everyTamperedByteIsDetected() {
        byte[] good = encode(Probe.PING, 99, alice, bob, new InetSocketAddress("198.18.0.1", 5));
        for (int i = 0; i < Probe.LENGTH; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            Probe.Result r = decode(bad, bob);
            assertThat(r.probe()).as("byte %d flipped", i).isNull();
        }
    }

    @Test
    void aProbeForAnotherNodeIsRefused() {
        byte[] ping = encode(Probe.PING, 1, alice, bob, new InetSocketAddress("198.18.0.1", 5));
        assertThat(decode(ping, mallory).reject()).isEqualTo(Probe.Reject.NOT_FOR_US);
    }

    @Test
    void ownProbesReflectedBackAreRefused() {
        byte[] ping = Probe.encode(Probe.PING, 1, alice.id(), alice.id(), new InetSocketAddress("198.18.0.1", 5), Probe.mac(alice, bob.id()));
        assertThat(decode(ping, alice).reject()).isEqualTo(Probe.Reject.MALFORMED);
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(11);
        byte[] good = encode(Probe.PING, 1, alice, bob, new InetSocketAddress("198.18.0.1", 5));
        for (int i = 0; i < 5_000; i++) {
            byte[] junk = i % 2 == 0 ? new byte[random.nextInt(400)] : good.clone();
            if (i % 2 == 0) {
                random.nextBytes(junk);
            } else {
                for (int k = 0; k < 1 + random.nextInt(8); k++) {
                    junk[random.nextInt(junk.length)] = (byte) random.nextInt();
                }
            }
            Probe.Result r = decode(junk, bob);
            assertThat(r.probe() == null ? r.reject() : Probe.Reject.MALFORMED).isNotNull();
        }
    }

    // ------------------------------------------------------------------ call-me-maybe

    private Probe.CallResult decodeCall(byte[] d, LocalIdentity reader, LocalIdentity from) {
        return Probe.decodeCallMeMaybe(d, reader.id().toBytes(), (x, off) -> new Probe.Keyed(from.id(), Probe.mac(reader, from.id())));
    }

    @Test
    void callsRoundTripWithBothFamiliesAndFlags() {
        java.util.List<InetSocketAddress> addresses = java.util.List.of(new InetSocketAddress("198.18.0.7", 4433),
                new InetSocketAddress("2001:db8::7", 443));
        byte[] call = Probe.encodeCallMeMaybe(5, alice.id(), bob.id(), addresses, Probe.FLAG_HARD | Probe.FLAG_NATED, Probe.mac(alice, bob.id()));
        Probe.Call c = decodeCall(call, bob, alice).call();
        assertThat(c.tx()).isEqualTo(5);
        assertThat(c.sender()).isEqualTo(alice.id());
        assertThat(c.addresses()).isEqualTo(addresses);
        assertThat(c.hard()).isTrue();
        assertThat(c.nated()).isTrue();
        byte[] empty = Probe.encodeCallMeMaybe(6, alice.id(), bob.id(), java.util.List.of(), Probe.mac(alice, bob.id()));
        assertThat(decodeCall(empty, bob, alice).call().addresses()).isEmpty();
        assertThat(decodeCall(empty, bob, alice).call().hard()).isFalse();
    }

    @Test
    void aTamperedTruncatedOrMisdirectedCallIsRefused() {
        byte[] good = Probe.encodeCallMeMaybe(5, alice.id(), bob.id(), java.util.List.of(new InetSocketAddress("198.18.0.7", 4433)),
                Probe.mac(alice, bob.id()));
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            assertThat(decodeCall(bad, bob, alice).call()).as("byte %d flipped", i).isNull();
        }
        assertThat(decodeCall(java.util.Arrays.copyOf(good, good.length - 1), bob, alice).reject()).isEqualTo(Probe.Reject.MALFORMED);
        assertThat(decodeCall(good, mallory, alice).reject()).isEqualTo(Probe.Reject.NOT_FOR_US);
        byte[] unknownFlag = good.clone();
        unknownFlag[75] = 8;
        assertThat(decodeCall(unknownFlag, bob, alice).reject()).isEqualTo(Probe.Reject.MALFORMED);
        byte[] tooMany = new byte[76 + 17 * 19 + 32];
        tooMany[0] = Probe.CALL_ME_MAYBE;
        tooMany[1] = Probe.VERSION;
        tooMany[74] = 17;
        assertThat(decodeCall(tooMany, bob, alice).reject()).isEqualTo(Probe.Reject.MALFORMED);
        java.util.Random r = new java.util.Random(8);
        for (int i = 0; i < 10_000; i++) {
            byte[] junk = new byte[r.nextInt(600)];
            r.nextBytes(junk);
            if (junk.length > 0) {
                junk[0] = Probe.CALL_ME_MAYBE;
            }
            assertThat(decodeCall(junk, bob, alice).call()).isNull(); // never throws
        }
    }
}
