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

    @Test
    void roundTripsPingsAndPongsOverBothFamilies() {
        InetSocketAddress v4 = new InetSocketAddress("198.18.0.7", 4433);
        byte[] ping = Probe.encode(Probe.PING, 0x1234_5678_9abc_def0L, alice, bob.id(), v4);
        assertThat(ping).hasSize(Probe.LENGTH);
        assertThat(ping[0] & 0x40).as("QUIC fixed bit clear").isZero();
        Probe p = Probe.decode(ping, bob.id()).probe;
        assertThat(p.type).isEqualTo(Probe.PING);
        assertThat(p.tx).isEqualTo(0x1234_5678_9abc_def0L);
        assertThat(p.sender).isEqualTo(alice.id());
        assertThat(p.address).isEqualTo(v4);
        InetSocketAddress v6 = new InetSocketAddress("2001:db8::5", 65535);
        Probe q = Probe.decode(Probe.encode(Probe.PONG, -1, bob, alice.id(), v6), alice.id()).probe;
        assertThat(q.type).isEqualTo(Probe.PONG);
        assertThat(q.address).isEqualTo(v6);
        assertThat(q.toString()).contains("pong").contains(bob.id().shortString());
    }

    @Test
    void aForgedProbeFailsItsSignature() {
        byte[] forged = Probe.encode(Probe.PONG, 7, mallory, alice.id(), new InetSocketAddress("198.18.0.1", 1));
        System.arraycopy(bob.id().toBytes(), 0, forged, 10, 32); // claims to be bob, signed by mallory
        assertThat(Probe.decode(forged, alice.id()).reject).isEqualTo(Probe.Reject.BAD_SIGNATURE);
    }

    @Test
    void everyTamperedByteIsDetected() {
        byte[] good = Probe.encode(Probe.PING, 99, alice, bob.id(), new InetSocketAddress("198.18.0.1", 5));
        for (int i = 0; i < Probe.LENGTH; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            Probe.Result r = Probe.decode(bad, bob.id());
            assertThat(r.probe).as("byte %d flipped", i).isNull();
        }
    }

    @Test
    void aProbeForAnotherNodeIsRefused() {
        byte[] ping = Probe.encode(Probe.PING, 1, alice, bob.id(), new InetSocketAddress("198.18.0.1", 5));
        assertThat(Probe.decode(ping, mallory.id()).reject).isEqualTo(Probe.Reject.NOT_FOR_US);
    }

    @Test
    void ownProbesReflectedBackAreRefused() {
        byte[] ping = Probe.encode(Probe.PING, 1, alice, alice.id(), new InetSocketAddress("198.18.0.1", 5));
        assertThat(Probe.decode(ping, alice.id()).reject).isEqualTo(Probe.Reject.MALFORMED);
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(11);
        byte[] good = Probe.encode(Probe.PING, 1, alice, bob.id(), new InetSocketAddress("198.18.0.1", 5));
        for (int i = 0; i < 5_000; i++) {
            byte[] junk = i % 2 == 0 ? new byte[random.nextInt(400)] : good.clone();
            if (i % 2 == 0) {
                random.nextBytes(junk);
            } else {
                for (int k = 0; k < 1 + random.nextInt(8); k++) {
                    junk[random.nextInt(junk.length)] = (byte) random.nextInt();
                }
            }
            Probe.Result r = Probe.decode(junk, bob.id());
            assertThat(r.probe == null ? r.reject : Probe.Reject.MALFORMED).isNotNull();
        }
    }
}
