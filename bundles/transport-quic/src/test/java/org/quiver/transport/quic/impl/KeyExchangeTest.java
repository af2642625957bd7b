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
