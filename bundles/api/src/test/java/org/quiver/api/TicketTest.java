package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TicketTest {
    private static final EndpointId ID = Keys.randomId();

    private static EndpointAddr full() throws Exception {
        return EndpointAddr.of(ID, URI.create("https://relay.example.org:8443/"), List.of(
                new InetSocketAddress(InetAddress.getByName("198.18.0.2"), 4433),
                new InetSocketAddress(InetAddress.getByName("::1"), 65535)));
    }

    @Test
    void roundTripsAFullAddress() throws Exception {
        EndpointAddr addr = full();
        String ticket = addr.toTicket();
        assertThat(ticket).startsWith("quiver").matches("quiver[a-z2-7]+");
        assertThat(EndpointAddr.fromTicket(ticket)).isEqualTo(addr);
        assertThat(EndpointAddr.fromTicket("  " + ticket + "\n")).isEqualTo(addr);
    }

    @Test
    void roundTripsAnIdOnlyAddressAndIsShort() {
        EndpointAddr addr = EndpointAddr.of(ID);
        String ticket = addr.toTicket();
        assertThat(EndpointAddr.fromTicket(ticket)).isEqualTo(addr);
        assertThat(ticket.length()).isLessThan(75);
    }

    @Test
    void everySingleCharacterTypoIsDetected() throws Exception {
        String ticket = full().toTicket();
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        int detected = 0;
        int tried = 0;
        for (int i = "quiver".length(); i < ticket.length(); i++) {
            for (char c : alphabet.toCharArray()) {
                if (c == ticket.charAt(i)) {
                    continue;
                }
                String typo = ticket.substring(0, i) + c + ticket.substring(i + 1);
                tried++;
                try {
                    EndpointAddr.fromTicket(typo);
                } catch (IllegalArgumentException e) {
                    assertThat(e).hasMessageStartingWith("Invalid ticket");
                    detected++;
                }
            }
        }
        assertThat(detected).isEqualTo(tried);
    }

    @Test
    void truncationIsDetected() throws Exception {
        String ticket = full().toTicket();
        for (int cut = 1; cut < ticket.length() - 6; cut++) {
            String truncated = ticket.substring(0, ticket.length() - cut);
            assertThatThrownBy(() -> EndpointAddr.fromTicket(truncated))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Invalid ticket");
        }
    }

    @Test
    void clearErrorsForObviousMistakes() {
        assertThatThrownBy(() -> Ticket.decode(null)).hasMessage("Invalid ticket: null");
        assertThatThrownBy(() -> Ticket.decode("endpointabc")).hasMessageContaining("must start with 'quiver'");
        assertThatThrownBy(() -> Ticket.decode("quiver" + "a".repeat(5000))).hasMessageContaining("longer than");
        assertThatThrownBy(() -> Ticket.decode("quiverAAAA")).hasMessageContaining("must be lowercase");
        assertThatThrownBy(() -> Ticket.decode("quiveraaaa")).hasMessageContaining("too short");
    }

    // Hand-built payloads: the checksum is right, the content is not.

    @Test
    void rejectsUnknownVersion() {
        byte[] payload = payload(2, 0, 0);
        assertThatThrownBy(() -> Ticket.decode(ticketOf(payload))).hasMessageContaining("version 2 is not supported");
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] p = payload(1, 0, 0);
        byte[] longer = java.util.Arrays.copyOf(p, p.length + 1);
        assertThatThrownBy(() -> Ticket.decode(ticketOf(longer))).hasMessageContaining("trailing bytes");
    }

    @Test
    void rejectsTooManyAddressesAndBadFamilies() {
        assertThatThrownBy(() -> Ticket.decode(ticketOf(payload(1, 0, 33)))).hasMessageContaining("33 direct addresses");
        byte[] p = payload(1, 0, 1);
        byte[] withBadFamily = java.util.Arrays.copyOf(p, p.length + 7);
        withBadFamily[p.length] = 5;
        assertThatThrownBy(() -> Ticket.decode(ticketOf(withBadFamily))).hasMessageContaining("unknown address family 5");
        assertThatThrownBy(() -> Ticket.decode(ticketOf(payload(1, 0, 1)))).hasMessageContaining("truncated");
    }

    @Test
    void rejectsBadRelayUrls() {
        byte[] base = payload(1, 0, 0);
        // relay length 3, "a b" (not a URI), then 0 addresses
        byte[] p = java.util.Arrays.copyOf(base, base.length + 3);
        p[33] = 3;
        p[34] = 'a';
        p[35] = ' ';
        p[36] = 'b';
        p[37] = 0;
        assertThatThrownBy(() -> Ticket.decode(ticketOf(p))).hasMessageContaining("bad relay URL");
        byte[] ftp = withRelay("ftp://x/");
        assertThatThrownBy(() -> Ticket.decode(ticketOf(ftp))).hasMessageContaining("http:// or https:// URL");
        byte[] invalidUtf8 = withRelay("http://x/");
        invalidUtf8[35] = (byte) 0xff;
        assertThatThrownBy(() -> Ticket.decode(ticketOf(invalidUtf8))).hasMessageContaining("bad relay URL");
        byte[] overlong = payload(1, 0, 0);
        overlong[33] = (byte) 0x81;
        overlong[34] = 0x7f; // 16257 > 1024
        assertThatThrownBy(() -> Ticket.decode(ticketOf(overlong))).hasMessageContaining("longer than 1024");
        byte[] badVarint = payload(1, 0, 0);
        badVarint[33] = (byte) 0x81;
        badVarint[34] = 0;
        assertThatThrownBy(() -> Ticket.decode(ticketOf(badVarint))).hasMessageContaining("bad length encoding");
    }

    @Test
    void rejectsAnIdThatIsNotAKey() {
        byte[] p = payload(1, 0, 0);
        java.util.Arrays.fill(p, 1, 33, (byte) 0);
        p[1] = 2;
        assertThatThrownBy(() -> Ticket.decode(ticketOf(p))).hasMessageContaining("curve point");
    }

    @Test
    void longRelayUrlsUseTwoByteLengths() throws Exception {
        URI url = URI.create("https://relay.example.org/" + "p".repeat(300));
        EndpointAddr addr = EndpointAddr.of(ID, url, List.of());
        assertThat(EndpointAddr.fromTicket(addr.toTicket())).isEqualTo(addr);
    }

    /** Property: every address round-trips (1,000 random addresses from a fixed seed, so a failure repeats). */
    @Test
    void anyAddressRoundTrips() {
        java.util.Random random = new java.util.Random(20261123);
        for (int i = 0; i < 1000; i++) {
            EndpointAddr addr = randomAddr(random);
            assertThat(EndpointAddr.fromTicket(addr.toTicket())).as("seed 20261123, case %d", i).isEqualTo(addr);
        }
    }

    /** Property: random base32 after the prefix only ever fails with a clear IllegalArgumentException. */
    @Test
    void randomTextNeverThrowsAnythingButIllegalArgument() {
        java.util.Random random = new java.util.Random(7);
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        for (int i = 0; i < 2000; i++) {
            StringBuilder junk = new StringBuilder("quiver");
            int n = random.nextInt(200);
            for (int j = 0; j < n; j++) {
                junk.append(alphabet.charAt(random.nextInt(32)));
            }
            try {
                Ticket.decode(junk.toString());
            } catch (IllegalArgumentException expected) {
                assertThat(expected).hasMessageStartingWith("Invalid ticket");
            }
        }
    }

    private static EndpointAddr randomAddr(java.util.Random random) {
        List<InetSocketAddress> addresses = new ArrayList<>();
        int n = random.nextInt(EndpointAddr.MAX_DIRECT_ADDRESSES + 1);
        for (int i = 0; i < n; i++) {
            byte[] ip = new byte[random.nextBoolean() ? 4 : 16];
            random.nextBytes(ip);
            addresses.add(socket(ip, 1 + random.nextInt(65535)));
        }
        URI relay = random.nextInt(3) == 0 ? null
                : URI.create("https://relay" + random.nextInt(1_000_000) + ".example:" + (1 + random.nextInt(65535)) + "/");
        return EndpointAddr.of(Keys.randomId(), relay, addresses);
    }

    private static InetSocketAddress socket(byte[] ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] withRelay(String url) {
        byte[] u = url.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] base = payload(1, 0, 0);
        byte[] p = java.util.Arrays.copyOf(base, base.length + u.length);
        p[33] = (byte) u.length;
        System.arraycopy(u, 0, p, 34, u.length);
        p[34 + u.length] = 0;
        return p;
    }

    /** version, our id, relay length byte, address count byte. */
    private static byte[] payload(int version, int relayLength, int count) {
        byte[] p = new byte[35];
        p[0] = (byte) version;
        System.arraycopy(ID.toBytes(), 0, p, 1, 32);
        p[33] = (byte) relayLength;
        p[34] = (byte) count;
        return p;
    }

    private static String ticketOf(byte[] payload) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(payload);
            byte[] all = java.util.Arrays.copyOf(payload, payload.length + 4);
            System.arraycopy(digest, 0, all, payload.length, 4);
            return "quiver" + Base32.encode(all);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void base32AgreesWithAnIndependentEncoder() {
        // decode(encode(x)) == x for many lengths, and every length maps to the RFC 4648 unpadded length
        java.util.Random random = new java.util.Random(1);
        for (int n = 0; n < 70; n++) {
            byte[] data = new byte[n];
            random.nextBytes(data);
            String text = Base32.encode(data);
            assertThat(text).hasSize((n * 8 + 4) / 5);
            assertThat(Base32.decode(text, "x")).isEqualTo(data);
        }
        // RFC 4648 section 10 test vectors, lowercased and unpadded
        assertThat(Base32.encode("f".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo("my");
        assertThat(Base32.encode("foob".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo("mzxw6yq");
        assertThat(Base32.encode("foobar".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo("mzxw6ytboi");
        assertThatThrownBy(() -> Base32.decode("a", "x")).hasMessageContaining("not a valid base32 length");
    }
}
