package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.identity.Identities;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/**
 * Reflexive addresses: the endpoint asks STUN servers from its own QUIC socket (the relay's responder, and
 * Debian's coturn) and puts what they saw first among its direct addresses. On loopback there is no NAT, so
 * the reflexive address is the socket's own.
 */
@Timeout(60)
class ReflexiveTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static InetSocketAddress socketOf(QuicEndpoint e) {
        return e.boundAddresses().get().get(0);
    }

    private static List<InetSocketAddress> awaitReflexive(QuicEndpoint e) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (e.reflexiveAddresses().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return e.reflexiveAddresses();
    }

    @Test
    void theRelaysStunResponderTellsTheSocketsAddressAndItLeadsTheOwnAddress() throws Exception {
        try (RelayServer relay = RelayServer.start(LO, LO, RelayCore.Limits.DEFAULT);
             QuicEndpoint e = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).stunServers(List.of(relay.stunAddress())).build()) {
            assertThat(awaitReflexive(e)).containsExactly(socketOf(e));
            assertThat(e.addr().get().directAddresses()).startsWith(socketOf(e));
        }
    }

    @Test
    void coturnAnswersToo(@TempDir Path tmp) throws Exception {
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path log = tmp.resolve("turnserver.log");
        Process coturn;
        try {
            coturn = new ProcessBuilder("turnserver", "--stun-only", "-L", "127.0.0.1", "-p", Integer.toString(port), "--no-cli",
                    "--no-tls", "--no-dtls", "--simple-log", "-l", log.toString(), "--pidfile", tmp.resolve("pid").toString(),
                    "--userdb", tmp.resolve("db").toString())
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("out").toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("coturn's turnserver is needed for this test: apt-get install coturn", e);
        }
        try (QuicEndpoint e = QuicEndpoint.builder(Identities.ephemeral()).bind(LO)
                .stunServers(List.of(new InetSocketAddress("127.0.0.1", port))).build()) {
            List<InetSocketAddress> found = awaitReflexive(e);
            assertThat(found).as("coturn's answer; its log: %s", Files.exists(log) ? Files.readString(log) : "none").containsExactly(socketOf(e));
        } finally {
            coturn.destroy();
            if (!coturn.waitFor(5, TimeUnit.SECONDS)) {
                coturn.destroyForcibly();
            }
        }
    }

    @Test
    void forgedAndUnaskedStunAnswersAreDroppedAndTheEndpointKeepsWorking() throws Exception {
        try (DatagramSocket fake = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             QuicEndpoint e = QuicEndpoint.builder(Identities.ephemeral()).bind(LO)
                     .stunServers(List.of((InetSocketAddress) fake.getLocalSocketAddress())).probeInterval(Duration.ofMillis(100)).build()) {
            fake.setSoTimeout(5000);
            DatagramPacket request = new DatagramPacket(new byte[600], 600);
            fake.receive(request);
            byte[] tx = java.util.Arrays.copyOfRange(request.getData(), 8, 20);
            InetSocketAddress lie = new InetSocketAddress("198.18.7.7", 7777);
            // an answer to another transaction, then garbage with the cookie, then one from a stranger socket
            byte[] otherTx = org.quiver.internal.stun.Stun.bindingResponse(org.quiver.internal.stun.Stun.bindingRequest(new byte[12]), lie);
            fake.send(new DatagramPacket(otherTx, otherTx.length, socketOf(e)));
            byte[] garbage = new byte[40];
            java.nio.ByteBuffer.wrap(garbage).putShort((short) 0x0101).putShort((short) 20).putInt(0x2112A442);
            fake.send(new DatagramPacket(garbage, garbage.length, socketOf(e)));
            try (DatagramSocket stranger = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                byte[] right = org.quiver.internal.stun.Stun.bindingResponse(org.quiver.internal.stun.Stun.bindingRequest(tx), lie);
                stranger.send(new DatagramPacket(right, right.length, socketOf(e)));
            }
            Thread.sleep(300);
            assertThat(e.reflexiveAddresses()).isEmpty();
            // the server itself answers the (possibly retransmitted) request: accepted
            byte[] answer = org.quiver.internal.stun.Stun.bindingResponse(java.util.Arrays.copyOf(request.getData(), request.getLength()), lie);
            fake.send(new DatagramPacket(answer, answer.length, socketOf(e)));
            assertThat(awaitReflexive(e)).containsExactly(lie);
            assertThat(e.addr().get().directAddresses()).startsWith(lie);
        }
    }

    /** The client's logic alone: two servers, answers that differ in port mean a NAT that maps per destination. */
    @Test
    void differentPortsFromTwoServersMeanTheMappingVariesAndUnansweredRequestsAreRetriedThenGivenUp() {
        java.util.List<java.util.Map.Entry<InetSocketAddress, byte[]>> sent = new java.util.ArrayList<>();
        java.util.List<java.util.List<InetSocketAddress>> changes = new java.util.ArrayList<>();
        Reflexive r = new Reflexive((to, d) -> sent.add(java.util.Map.entry(to, d)), changes::add);
        InetSocketAddress s1 = new InetSocketAddress("198.18.0.2", 3478);
        InetSocketAddress s2 = new InetSocketAddress("198.18.0.2", 3479);
        r.servers(List.of(s1, s2));
        long t = System.nanoTime();
        r.tick(t);
        assertThat(sent).extracting(java.util.Map.Entry::getKey).containsExactly(s1, s2);
        InetSocketAddress m1 = new InetSocketAddress("198.18.9.9", 40000);
        InetSocketAddress m2 = new InetSocketAddress("198.18.9.9", 51234);
        r.onMessage(s1, org.quiver.internal.stun.Stun.bindingResponse(sent.get(0).getValue(), m1), t + 1);
        assertThat(r.mappingVaries()).isFalse();
        // the second server's answer, but coming from the first server's address: not taken
        r.onMessage(s1, org.quiver.internal.stun.Stun.bindingResponse(sent.get(1).getValue(), m2), t + 2);
        assertThat(r.addresses()).containsExactly(m1);
        r.onMessage(s2, org.quiver.internal.stun.Stun.bindingResponse(sent.get(1).getValue(), m2), t + 3);
        assertThat(r.addresses()).containsExactly(m1, m2);
        assertThat(r.mappingVaries()).isTrue();
        assertThat(changes).hasSize(2);
        // next round: s2 stays silent; its request is sent 3 times, then given up; its old answer ages out
        sent.clear();
        long next = t + Reflexive.ROUND_NANOS;
        r.tick(next);
        r.onMessage(s1, org.quiver.internal.stun.Stun.bindingResponse(sent.get(0).getValue(), m1), next + 1);
        for (long ms = 100; ms <= 10_000; ms += 100) {
            r.tick(next + ms * 1_000_000L);
        }
        assertThat(sent.stream().filter(e -> e.getKey().equals(s2)).count()).isEqualTo(Reflexive.ATTEMPTS);
        assertThat(r.timedOut.sum()).isEqualTo(1);
        r.tick(t + 3 * Reflexive.ROUND_NANOS + 10);
        assertThat(r.addresses()).as("only fresh answers count").containsExactly(m1);
        assertThat(r.mappingVaries()).isFalse();
    }
}
