package org.quiver.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.EndpointRecord;

/** Signed endpoint records: round trip, and every way a record can be wrong is refused with a reason. */
class EndpointRecordTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00.123Z");

    private record Key(EndpointId id, UnaryOperator<byte[]> signer) {
    }

    private static Key key() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        return new Key(EndpointId.fromPublicKey(kp.getPublic()), m -> {
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initSign(kp.getPrivate());
                s.update(m);
                return s.sign();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static EndpointAddr addr(EndpointId id) throws Exception {
        return EndpointAddr.of(id, URI.create("ws://relay.example:3340/relay"),
                List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.7"), 4433)));
    }

    @Test
    void roundTripsAndChecks() throws Exception {
        Key k = key();
        EndpointRecord r = EndpointRecord.sign(addr(k.id()), NOW, k.signer());
        EndpointRecord back = EndpointRecord.decode(r.encode());
        assertThat(back).isEqualTo(r).hasSameHashCodeAs(r);
        assertThat(back.addr()).isEqualTo(addr(k.id()));
        assertThat(back.timestamp()).isEqualTo(NOW);
        assertThat(back.check(k.id(), NOW.plusSeconds(60), EndpointRecord.DEFAULT_MAX_AGE)).isSameAs(back);
        DiscoveryItem item = back.item("dns");
        assertThat(item.addr()).isEqualTo(back.addr());
        assertThat(item.updated()).isEqualTo(NOW);
        assertThat(r.encode()).startsWith("v1 quiver").doesNotContain("\n");
        assertThat(r.toString()).contains(k.id().shortString());
    }

    @Test
    void forgedMismatchedStaleFutureAndMalformedRecordsAreRefused() throws Exception {
        Key alice = key();
        Key mallory = key();
        EndpointRecord good = EndpointRecord.sign(addr(alice.id()), NOW, alice.signer());
        String[] parts = good.encode().split(" ");

        // mallory signs a record that claims to be alice's: the signature is not alice's
        assertThatThrownBy(() -> EndpointRecord.sign(addr(alice.id()), NOW, mallory.signer())).hasMessageContaining("not");
        String forged = "v1 " + parts[1] + " " + parts[2] + " " + EndpointRecord.sign(addr(mallory.id()), NOW, mallory.signer()).encode().split(" ")[3];
        assertThatThrownBy(() -> EndpointRecord.decode(forged)).hasMessageContaining("forged");
        // alice's signature, but another address or time
        String moved = "v1 " + addr(alice.id()).withDirectAddresses(List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.8"), 4433))).toTicket()
                + " " + parts[2] + " " + parts[3];
        assertThatThrownBy(() -> EndpointRecord.decode(moved)).hasMessageContaining("forged");
        String retimed = "v1 " + parts[1] + " " + (Long.parseLong(parts[2]) + 1) + " " + parts[3];
        assertThatThrownBy(() -> EndpointRecord.decode(retimed)).hasMessageContaining("forged");
        // genuine, but about someone else, too old, or from the future
        EndpointRecord malloryOwn = EndpointRecord.sign(addr(mallory.id()), NOW, mallory.signer());
        assertThatThrownBy(() -> malloryOwn.check(alice.id(), NOW, EndpointRecord.DEFAULT_MAX_AGE)).hasMessageContaining("not " + alice.id().shortString());
        assertThatThrownBy(() -> good.check(alice.id(), NOW.plus(Duration.ofHours(25)), EndpointRecord.DEFAULT_MAX_AGE)).hasMessageContaining("stale");
        assertThatThrownBy(() -> good.check(alice.id(), NOW.minus(Duration.ofMinutes(10)), EndpointRecord.DEFAULT_MAX_AGE)).hasMessageContaining("future");
        // malformed
        for (String junk : new String[] {null, "", "v1", "v2 " + parts[1] + " " + parts[2] + " " + parts[3], "v1 notaticket 1 AAAA",
                "v1 " + parts[1] + " x " + parts[3], "v1 " + parts[1] + " -1 " + parts[3], "v1 " + parts[1] + " " + parts[2] + " !!!",
                "v1 " + parts[1] + " " + parts[2] + " AAAA", "x".repeat(6000)}) {
            assertThatThrownBy(() -> EndpointRecord.decode(junk)).as(String.valueOf(junk)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void randomMutationsNeverDecode() throws Exception {
        Key k = key();
        String text = EndpointRecord.sign(addr(k.id()), NOW, k.signer()).encode();
        java.util.Random r = new java.util.Random(3);
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            char[] c = text.toCharArray();
            int at = r.nextInt(c.length);
            char was = c[at];
            c[at] = (char) ('!' + r.nextInt(94));
            if (c[at] == was) {
                continue;
            }
            try {
                EndpointRecord.decode(new String(c));
                // base64url's last character can carry unused bits: the same signature, so the same record
                assertThat(at).isEqualTo(c.length - 1);
            } catch (IllegalArgumentException expected) {
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(1900);
    }
}
