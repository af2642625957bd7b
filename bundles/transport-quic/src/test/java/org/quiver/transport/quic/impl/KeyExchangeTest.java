package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * The TLS key exchange with real endpoints on loopback: hybrid post-quantum between Quiver nodes, X25519 with a peer
 * limited to it, refusal where the hybrid is required; and the Initial-packet reading that tells which one a
 * handshake chose, against RFC 9001's test vectors and random bytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeyExchangeTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<QuicEndpoint> open = new java.util.ArrayList<>();
    private final java.util.Queue<Connection> accepted = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @AfterEach
    void closeAll() {
        open.forEach(QuicEndpoint::close);
    }

    private QuicEndpoint endpoint(EndpointBuilder.KeyExchange policy) throws Exception {
        QuicEndpoint e = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).keyExchange(policy)
                .handler("kex/1", accepted::add).build();
        open.add(e);
        return e;
    }

    private static EndpointAddr at(QuicEndpoint e) {
        return EndpointAddr.of(e.id(), null, List.of(e.localAddress()));
    }

    /** Both ends of one connection from {@code dialer} to {@code acceptor}: the dialed one and the accepted one. */
    private Connection[] connect(QuicEndpoint dialer, QuicEndpoint acceptor) throws Exception {
        accepted.clear();
        Connection dialed = Blocking.await(dialer.connect(at(acceptor), "kex/1"), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (accepted.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(accepted).as("the acceptor's handler got the connection").hasSize(1);
        return new Connection[] {dialed, accepted.poll()};
    }

    @Test
    void twoQuiverNodesAgreeOnTheHybridPostQuantumGroupAndBothSeeIt() throws Exception {
        QuicEndpoint a = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID);
        QuicEndpoint b = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID);
        Connection[] ends = connect(a, b);
        assertThat(ends[0].keyExchange()).as("the dialer's view").isEqualTo("X25519MLKEM768");
        assertThat(ends[1].keyExchange()).as("the acceptor's view").isEqualTo("X25519MLKEM768");
        // a second connection to the same peer is a new handshake, seen again
        Connection[] again = connect(b, a);
        assertThat(again[0].keyExchange()).isEqualTo("X25519MLKEM768");
        assertThat(again[1].keyExchange()).isEqualTo("X25519MLKEM768");
    }

    @Test
    void aPeerLimitedToX25519GetsX25519EitherWayRound() throws Exception {
        QuicEndpoint modern = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID);
        QuicEndpoint classical = endpoint(EndpointBuilder.KeyExchange.CLASSICAL);
        Connection[] ends = connect(modern, classical);
        assertThat(ends[0].keyExchange()).isEqualTo("X25519");
        assertThat(ends[1].keyExchange()).isEqualTo("X25519");
        Connection[] back = connect(classical, modern);
        assertThat(back[0].keyExchange()).isEqualTo("X25519");
        assertThat(back[1].keyExchange()).isEqualTo("X25519");
    }

    @Test
    void requiringTheHybridRefusesAClassicalPeerWithAReasonThatSaysSo() throws Exception {
        QuicEndpoint strict = endpoint(EndpointBuilder.KeyExchange.REQUIRE_HYBRID);
        QuicEndpoint classical = endpoint(EndpointBuilder.KeyExchange.CLASSICAL);
        assertThatThrownBy(() -> Blocking.await(strict.connect(at(classical), "kex/1"), Duration.ofSeconds(10)))
                .hasMessageContaining("key exchange").hasMessageContaining("X25519MLKEM768");
        assertThatThrownBy(() -> Blocking.await(classical.connect(at(strict), "kex/1"), Duration.ofSeconds(10)))
                .hasMessageContaining("key exchange");
        assertThat(accepted).as("no handler saw either").isEmpty();
        // and a peer that offers it is served
        QuicEndpoint modern = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID);
        assertThat(connect(modern, strict)[1].keyExchange()).isEqualTo("X25519MLKEM768");
    }

    @Test
    void initialKeysAreRfc9001sTestVectors() {
        byte[] dcid = HexFormat.of().parseHex("8394c8f03e515708"); // RFC 9001 A.1
        InitialPackets.Keys client = InitialPackets.keys(dcid, false);
        assertThat(HexFormat.of().formatHex(client.key())).isEqualTo("1f369613dd76d5467730efcbe3b1a22d");
        assertThat(HexFormat.of().formatHex(client.iv())).isEqualTo("fa044b2f42a3fd3b46fb255c");
        assertThat(HexFormat.of().formatHex(client.hp())).isEqualTo("9f50449e04a0e810283a1e9933adedd2");
        InitialPackets.Keys server = InitialPackets.keys(dcid, true);
        assertThat(HexFormat.of().formatHex(server.key())).isEqualTo("cf3a5331653c364c88f0f379b6067e37");
        assertThat(HexFormat.of().formatHex(server.iv())).isEqualTo("0ac1493ca1905853b0bba03e");
        assertThat(HexFormat.of().formatHex(server.hp())).isEqualTo("c206b8d9b9f0f37644430b490eeaa314");
    }

    /**
     * The ciphers {@link InitialPackets} keeps per thread: packets sealed here (RFC 9001 5.3 and 5.4, with the JDK)
     * under two handshakes' keys, opened on one thread in turn with packets that do not authenticate in between
     * (a failed GCM check must not spoil the next opening), each one's CRYPTO data read back exactly.
     */
    @Test
    void initialsOpenOneAfterAnotherOnOneThreadWhateverFailedBetween() throws Exception {
        byte[] dcidA = HexFormat.of().parseHex("8394c8f03e515708");
        byte[] dcidB = HexFormat.of().parseHex("0102030405060708090a");
        InitialPackets.Keys a = InitialPackets.keys(dcidA, true);
        InitialPackets.Keys b = InitialPackets.keys(dcidB, true);
        for (int i = 0; i < 200; i++) { // bounded
            boolean useA = i % 3 != 0;
            byte[] data = ("hello " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] packet = seal(useA ? dcidA : dcidB, useA ? a : b, i & 0xff, data);
            InitialPackets.Reassembly wrongKeys = new InitialPackets.Reassembly(64);
            assertThat(InitialPackets.open(packet, useA ? b : a, wrongKeys)).isFalse();
            byte[] tampered = packet.clone();
            tampered[tampered.length - 1] ^= 1;
            assertThat(InitialPackets.open(tampered, useA ? a : b, new InitialPackets.Reassembly(64))).isFalse();
            InitialPackets.Reassembly crypto = new InitialPackets.Reassembly(64);
            assertThat(InitialPackets.open(packet, useA ? a : b, crypto)).as("packet %d", i).isTrue();
            assertThat(crypto.contiguous()).isEqualTo(data);
        }
    }

    /** An Initial of version 1 from the server (empty SCID, no token, 1-byte packet number) carrying one CRYPTO frame. */
    private static byte[] seal(byte[] dcid, InitialPackets.Keys keys, int pn, byte[] cryptoData) throws Exception {
        java.io.ByteArrayOutputStream payload = new java.io.ByteArrayOutputStream();
        payload.write(0x06); // CRYPTO
        payload.write(0); // offset 0
        payload.write(cryptoData.length); // < 64: a one-byte varint
        payload.write(cryptoData);
        byte[] plain = payload.toByteArray();
        int length = 1 + plain.length + 16; // packet number, payload, tag
        java.io.ByteArrayOutputStream header = new java.io.ByteArrayOutputStream();
        header.write(0xc0); // long header, Initial, packet number length 1
        header.write(new byte[] {0, 0, 0, 1});
        header.write(dcid.length);
        header.write(dcid);
        header.write(0); // SCID length
        header.write(0); // token length
        header.write(0x40 | (length >> 8));
        header.write(length & 0xff);
        int pnOffset = header.size();
        header.write(pn);
        byte[] aad = header.toByteArray();
        byte[] nonce = keys.iv().clone();
        nonce[nonce.length - 1] ^= (byte) pn;
        javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(keys.key(), "AES"),
                new javax.crypto.spec.GCMParameterSpec(128, nonce));
        gcm.updateAAD(aad);
        byte[] sealed = gcm.doFinal(plain);
        byte[] packet = java.util.Arrays.copyOf(aad, aad.length + sealed.length);
        System.arraycopy(sealed, 0, packet, aad.length, sealed.length);
        javax.crypto.Cipher ecb = javax.crypto.Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(keys.hp(), "AES"));
        byte[] mask = ecb.doFinal(packet, pnOffset + 4, 16);
        packet[0] ^= (byte) (mask[0] & 0x0f);
        packet[pnOffset] ^= mask[1];
        return packet;
    }

    @Test
    void randomAndTruncatedBytesNeverThrowAndNeverNameAGroup() {
        java.util.Random random = new java.util.Random(7);
        InitialPackets.Keys keys = InitialPackets.keys(new byte[8], true);
        for (int i = 0; i < 20_000; i++) { // bounded
            byte[] junk = new byte[random.nextInt(1300)];
            random.nextBytes(junk);
            if (junk.length > 5 && i % 2 == 0) {
                junk[0] = (byte) 0xc0; // looks like an Initial of version 1
                junk[1] = 0;
                junk[2] = 0;
                junk[3] = 0;
                junk[4] = 1;
            }
            InitialPackets.Reassembly crypto = new InitialPackets.Reassembly(2048);
            assertThat(InitialPackets.open(junk, keys, crypto)).isFalse(); // nothing authenticates
            assertThat(crypto.contiguous()).isEmpty();
            KeyExchanges.serverHello(junk); // no exception, whatever it says
            if (junk.length > 0) {
                junk[0] = 0x02;
                KeyExchanges.serverHello(junk);
            }
        }
        assertThat(KeyExchanges.serverHello(new byte[] {0x02, 0, 0, 0})).isNull();
        assertThat(KeyExchanges.name(0x11ec)).isEqualTo("X25519MLKEM768");
        assertThat(KeyExchanges.name(0x1234)).isEqualTo("0x1234");
    }
}
