package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/**
 * Attack 1: a peer connected through the relay sends call-me-maybe after call-me-maybe, each naming 16 addresses of
 * victims, to make the node spray probes at them. Measured before: 200 calls (82,400 bytes) made a node send 3,216
 * datagrams (402,000 bytes) to the victims, 4.9 times what the attacker sent. Here it runs for real on loopback: a
 * relay, the node, and a malicious peer that connects through the relay and then, logged in at the relay with its
 * own key, sends 200 signed calls naming 16 victim sockets that count what reaches them and never answer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SprayAttackTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void callsNamingVictimsMakeTheNodeSendAFractionOfWhatTheAttackerSends() throws Exception {
        RelayServer relay = RelayServer.start(LO, RelayCore.Limits.DEFAULT);
        URI url = URI.create(relay.url());
        RelayClient.Options quick = new RelayClient.Options(Duration.ofMillis(500), Duration.ofMillis(50), Duration.ofMillis(500),
                Duration.ofSeconds(5), 2 << 20);
        DefaultRelayProvider nodeRelay = new DefaultRelayProvider(List.of(url), quick);
        DefaultRelayProvider attackerRelay = new DefaultRelayProvider(List.of(url), quick);
        LocalIdentity mallory = Identities.ephemeral();
        List<DatagramSocket> victims = new ArrayList<>();
        List<Thread> counters = new ArrayList<>();
        AtomicLong victimDatagrams = new AtomicLong();
        AtomicLong victimBytes = new AtomicLong();
        try (QuicEndpoint node = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(nodeRelay).handler("x/1", c -> { }).build();
             QuicEndpoint attacker = QuicEndpoint.builder(mallory).bind(LO).relay(attackerRelay).build()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((node.addr().get().relayUrl().isEmpty() || attacker.addr().get().relayUrl().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // 1. a real connection through the relay (by id alone): the node now has the attacker as a relayed peer
            Connection c = Blocking.await(attacker.connect(node.id(), "x/1"), Duration.ofSeconds(10));
            assertThat(c.path().get().kind()).isEqualTo(org.quiver.api.PathKind.RELAY);

            for (int i = 0; i < 16; i++) {
                DatagramSocket v = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                v.setSoTimeout(200);
                victims.add(v);
                Thread t = new Thread(() -> {
                    byte[] buf = new byte[2048];
                    while (!v.isClosed()) {
                        try {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            v.receive(p);
                            victimDatagrams.incrementAndGet();
                            victimBytes.addAndGet(p.getLength());
                        } catch (SocketTimeoutException quiet) {
                            // keep listening
                        } catch (java.io.IOException closed) {
                            return;
                        }
                    }
                });
                t.start();
                counters.add(t);
            }
            List<InetSocketAddress> named = victims.stream().map(v -> (InetSocketAddress) v.getLocalSocketAddress()).toList();

            // 2. 200 calls, signed with the attacker's own key, through its own relay session (the relay link the
            // provider gave its endpoint: what a modified node would send)
            org.quiver.spi.relay.RelayLink raw = attackerRelay.links().get(0);
            long attackerBytes = 0;
            int sent = 0;
            for (int i = 0; i < 200; i++) {
                byte[] call = Probe.encodeCallMeMaybe(1_000 + i, mallory.id(), node.id(), named, Probe.FLAG_HARD | Probe.FLAG_NATED,
                        Probe.mac(mallory, node.id()));
                if (raw.send(node.id(), null, java.nio.ByteBuffer.wrap(call))) {
                    attackerBytes += call.length;
                    sent++;
                }
                Thread.sleep(5);
            }
            assertThat(sent).as("the relay carried the calls").isGreaterThan(190);
            Thread.sleep(8_000); // the probes the calls caused, retries included
            System.out.printf("%d calls (%d bytes) drew %d datagrams (%d bytes) at the victims: %.3f of what the attacker sent%n",
                    sent, attackerBytes, victimDatagrams.get(), victimBytes.get(), (double) victimBytes.get() / attackerBytes);
            System.out.printf("node: calls received %d, refused %d, probes dropped %d, sent %d%n", node.pathLayer().punching.callsReceived.sum(),
                    node.pathLayer().punching.callsRefused.sum(), node.pathLayer().probesDropped.sum(), node.pathLayer().probesSent.sum());
            assertThat(victimDatagrams.get()).as("probes within the per-peer budget of calls")
                    .isLessThanOrEqualTo((long) HolePunching.CALL_BURST * 16 * (CandidateSet.ATTEMPTS_BEFORE_UNUSABLE + 1));
            assertThat((double) victimBytes.get() / attackerBytes).as("bytes at the victims / bytes the attacker sent (4.9 before)")
                    .isLessThan(0.8);
            assertThat(node.pathLayer().punching.callsRefused.sum()).isGreaterThanOrEqualTo(sent - HolePunching.CALL_BURST);
        } finally {
            victims.forEach(DatagramSocket::close);
            for (Thread t : counters) {
                t.join(2000);
            }
            nodeRelay.close();
            attackerRelay.close();
            relay.close();
        }
    }
}
