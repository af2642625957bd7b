package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.identity.Identities;

/** Birthday punching's extra sockets really open, each its own port, and each pings the peer's guessed addresses. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PunchSocketsTest {
    @Test
    void everyExtraSocketOpensAndPingsFromItsOwnPort() throws Exception {
        try (QuicEndpoint e = QuicEndpoint.builder(Identities.ephemeral())
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).build();
             DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            PathTable.Peer peer = new PathTable.Peer(PathTable.LOCAL, Identities.ephemeral().id(), null, System::nanoTime);
            InetSocketAddress at = (InetSocketAddress) target.getLocalSocketAddress();
            e.onLoopGet(() -> {
                e.punch().open(peer, List.of(at));
                return null;
            });
            Set<Integer> ports = new HashSet<>();
            target.setSoTimeout(500);
            byte[] buf = new byte[2048];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ports.size() < HolePunching.FAN_SOCKETS && System.nanoTime() < deadline) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    target.receive(p);
                } catch (SocketTimeoutException quiet) {
                    continue;
                }
                ports.add(p.getPort());
            }
            assertThat(ports).as("pings from distinct sockets").hasSize(HolePunching.FAN_SOCKETS);
            assertThat(ports).doesNotContain(e.localAddress().getPort());
        }
    }
}
