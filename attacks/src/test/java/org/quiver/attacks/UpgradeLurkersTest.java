package org.quiver.attacks;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.identity.Identities;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/**
 * Attack 6: connections that open TCP and never finish the WebSocket upgrade (silent, or half a request). Before,
 * 300 of 300 were still open after 75 s and did not count against the client limit. Now each is closed at the
 * upgrade deadline, and a real client logs in while they wait.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpgradeLurkersTest {
    @Test
    void connectionsThatNeverUpgradeAreClosedAtTheDeadlineAndARealClientGetsIn() throws Exception {
        try (RelayServer relay = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new RelayCore.Limits(100, 64, 1L << 20, 1L << 20, 1000), Duration.ofMillis(200))) { // all from one address
            List<Socket> lurkers = new ArrayList<>();
            io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1, io.netty.channel.nio.NioIoHandler.newFactory());
            try {
                for (int i = 0; i < 300; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), relay.address().getPort());
                    if (i % 2 == 1) {
                        s.getOutputStream().write("GET /relay HTTP/1.1\r\nHost: x\r\n".getBytes()); // and never the rest
                    }
                    s.setSoTimeout(5000);
                    lurkers.add(s);
                }
                var id = Identities.ephemeral();
                RelayClient real = new RelayClient(URI.create(relay.url()), id.id(), id::sign, (v, src, d) -> { }, group.next(),
                        RelayClient.Options.DEFAULT).start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (real.state().get() != RelayClient.State.CONNECTED && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(real.state().get()).as("a real client logs in among the lurkers").isEqualTo(RelayClient.State.CONNECTED);
                for (Socket s : lurkers) {
                    assertThat(s.getInputStream().read()).as("closed by the relay at the 400 ms deadline").isEqualTo(-1);
                }
                assertThat(relay.upgradeTimeouts()).isEqualTo(300);
                real.close();
            } finally {
                for (Socket s : lurkers) {
                    s.close();
                }
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }
}
