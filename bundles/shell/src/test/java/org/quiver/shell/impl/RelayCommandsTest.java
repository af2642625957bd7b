package org.quiver.shell.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.spi.relay.RelayServerInfo;
import org.quiver.transport.quic.impl.QuicEndpoint;

/** quiver:relay and quiver:status with a real relay; quiver:ping by id alone through it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayCommandsTest {
    @Test
    void relayStatusAndPingByIdThroughTheRelay() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        RelayClient.Options quick = new RelayClient.Options(Duration.ofMillis(200), Duration.ofMillis(50), Duration.ofMillis(500),
                Duration.ofSeconds(5), 1 << 20);
        StreamServing workers = new StreamServing("test", StreamServing.PER_PEER, java.time.Duration.ofSeconds(30));
        try (RelayServer relay = RelayServer.start(lo, RelayCore.Limits.DEFAULT)) {
            URI url = URI.create(relay.url());
            try (DefaultRelayProvider pa = new DefaultRelayProvider(List.of(url), quick);
                 DefaultRelayProvider pb = new DefaultRelayProvider(List.of(url), quick);
                 QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).relay(pb)
                         .handler(Protocols.PING, c -> workers.serve(c, (s, p) -> Protocols.servePing(s))).build()) {
                LocalIdentity me = Identities.ephemeral();
                QuiverCommands commands = new QuiverCommands();
                commands.setIdentity(me);
                try (QuicEndpoint client = QuicEndpoint.builder(me).bind(lo).build()) {
                    commands.setEndpoint(client);
                    assertThatThrownBy(commands::relay).hasMessageContaining("uses no relay").hasMessageContaining("org.quiver.relay.client-");
                    assertThatThrownBy(() -> commands.ping(server.id().toString())).hasMessageContaining("no relay to reach it by id");
                    assertThat(commands.status()).contains("id: " + me.id()).contains("home relay: none").doesNotContain("relay server");
                    client.relay(pa);
                    String shown = "";
                    for (int i = 0; i < 200 && !shown.startsWith("* "); i++) {
                        Thread.sleep(20);
                        shown = commands.relay();
                    }
                    assertThat(shown).startsWith("* " + url + "  CONNECTED");
                    for (int i = 0; i < 200 && !commands.relay().contains("latency"); i++) {
                        Thread.sleep(20);
                    }
                    assertThat(commands.relay()).contains("latency");
                    assertThat(commands.status()).contains("home relay: " + url);
                    // the peer's id is enough: both are at the same relay
                    for (int i = 0; i < 200 && server.addr().get().relayUrl().isEmpty(); i++) {
                        Thread.sleep(20);
                    }
                    assertThat(commands.ping(server.id().toString())).contains("pong from");
                    commands.setRelayServer(new RelayServerInfo() {
                        @Override
                        public String url() {
                            return relay.url();
                        }

                        @Override
                        public String stunAddress() {
                            return "";
                        }

                        @Override
                        public String status() {
                            return relay.core().stats().authenticated() + " clients";
                        }
                    });
                    assertThat(commands.status()).contains("relay server: " + url + ": 2 clients").contains("connections: 1")
                            .contains("accepts connections from: anyone");
                }
            }
        } finally {
            workers.close();
        }
    }
}
