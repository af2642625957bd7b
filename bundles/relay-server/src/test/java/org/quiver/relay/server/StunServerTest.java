package org.quiver.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.quiver.internal.stun.Stun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay's STUN responder on UDP, asked by our own client code and by coturn's turnutils_stunclient. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StunServerTest {
    @Test
    void answersBindingRequestsWithTheReflexiveAddress() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RelayServer relay = RelayServer.start(lo, lo, RelayCore.Limits.DEFAULT);
             DatagramSocket socket = new DatagramSocket(lo)) {
            socket.setSoTimeout(5000);
            byte[] txid = new byte[12];
            new java.security.SecureRandom().nextBytes(txid);
            byte[] request = Stun.bindingRequest(txid);
            socket.send(new DatagramPacket(request, request.length, relay.stunAddress()));
            DatagramPacket reply = new DatagramPacket(new byte[600], 600);
            socket.receive(reply);
            byte[] response = java.util.Arrays.copyOf(reply.getData(), reply.getLength());
            assertThat(Stun.mappedAddress(response, txid)).isEqualTo(socket.getLocalSocketAddress());
            // junk on the STUN port is dropped and counted, never answered
            socket.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, relay.stunAddress()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (relay.stunCounts()[1] < 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(relay.stunCounts()).containsExactly(1, 1);
            // the second responder answers the same way
            socket.send(new DatagramPacket(request, request.length, relay.stunAltAddress()));
            socket.receive(reply);
            assertThat(Stun.mappedAddress(java.util.Arrays.copyOf(reply.getData(), reply.getLength()), txid)).isEqualTo(socket.getLocalSocketAddress());
            assertThat(relay.stunAltAddress().getPort()).isNotEqualTo(relay.stunAddress().getPort());
        }
    }

    /** A flood of requests from one source (a spoofed victim, say) draws a bounded number of answers. */
    @Test
    void oneSourceGetsABoundedNumberOfAnswers() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RelayServer relay = RelayServer.start(lo, lo, RelayCore.Limits.DEFAULT);
             DatagramSocket socket = new DatagramSocket(lo)) {
            socket.setSoTimeout(300);
            long t0 = System.nanoTime();
            int sent = 1000;
            long requestBytes = 0;
            for (int i = 0; i < sent; i++) {
                byte[] txid = new byte[12];
                txid[0] = (byte) i;
                txid[1] = (byte) (i >> 8);
                byte[] request = Stun.bindingRequest(txid);
                requestBytes += request.length;
                socket.send(new DatagramPacket(request, request.length, relay.stunAddress()));
            }
            int answered = 0;
            long answerBytes = 0;
            try {
                while (answered < sent) {
                    DatagramPacket reply = new DatagramPacket(new byte[600], 600);
                    socket.receive(reply);
                    answered++;
                    answerBytes += reply.getLength();
                }
            } catch (java.net.SocketTimeoutException quiet) {
                // no more answers
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("STUN flood from one source: %d requests (%d bytes), %d answered (%d bytes) in %.2f s%n",
                    sent, requestBytes, answered, answerBytes, seconds);
            // (the kernel may drop part of a burst this fast: the relay counts what reached it)
            seconds = (System.nanoTime() - t0) / 1e9;
            long relayAnswered = relay.stunCounts()[0];
            assertThat(relay.stunLimited()).as("requests beyond the budget, refused").isPositive();
            assertThat(relayAnswered).as("the burst and what refilled meanwhile").isGreaterThanOrEqualTo(64)
                    .isLessThanOrEqualTo(64 + (long) Math.ceil(16 * seconds) + 1);
            assertThat(answered).isLessThanOrEqualTo((int) relayAnswered);
        }
    }

    @Test
    void theBudgetRefillsAndForgetsTheLeastRecentSourcesFirst() throws Exception {
        long[] now = {0};
        SourceBudget budget = new SourceBudget(2, 1, () -> now[0]);
        InetAddress a = InetAddress.getByName("198.18.0.1");
        assertThat(budget.take(a)).isTrue();
        assertThat(budget.take(a)).isTrue();
        assertThat(budget.take(a)).as("burst used").isFalse();
        now[0] += 999_000_000L;
        assertThat(budget.take(a)).as("not quite a second").isFalse();
        now[0] += 2_000_000L;
        assertThat(budget.take(a)).as("one refilled").isTrue();
        for (int i = 0; i < SourceBudget.MAX_SOURCES; i++) {
            budget.take(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
        }
        assertThat(budget.take(a)).as("forgotten: a fresh bucket").isTrue();
    }

    @Test
    void anIpv6Slash64IsOneSource() throws Exception {
        SourceBudget budget = new SourceBudget(2, 1, () -> 0);
        assertThat(budget.take(InetAddress.getByName("fd53:1:2:3::1"))).isTrue();
        assertThat(budget.take(InetAddress.getByName("fd53:1:2:3:ffff::2"))).isTrue();
        assertThat(budget.take(InetAddress.getByName("fd53:1:2:3:1234:5678:9abc:def0"))).as("a third address of the /64: its burst is used").isFalse();
        assertThat(budget.take(InetAddress.getByName("fd53:1:2:4::1"))).as("the next /64").isTrue();
        assertThat(SourcePrefix.of(InetAddress.getByName("198.18.0.7"))).isEqualTo(InetAddress.getByName("198.18.0.7"));
        assertThat(SourcePrefix.of(InetAddress.getByName("fd53:1:2:3:4:5:6:7"))).isEqualTo(InetAddress.getByName("fd53:1:2:3::"));
    }

    /** Interoperability: coturn's STUN client (Debian's coturn package; .ci/run installs it) learns its address from us. */
    @Test
    void coturnsStunClientLearnsItsAddress() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RelayServer relay = RelayServer.start(lo, lo, RelayCore.Limits.DEFAULT)) {
            Process p;
            try {
                p = new ProcessBuilder("turnutils_stunclient", "-p", Integer.toString(relay.stunAddress().getPort()), "127.0.0.1")
                        .redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                throw new AssertionError("turnutils_stunclient is needed for this test: apt-get install coturn", e);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(out).containsPattern("UDP reflexive addr: 127\\.0\\.0\\.1:\\d+");
            assertThat(relay.stunCounts()[0]).isGreaterThanOrEqualTo(1);
        }
    }
}
