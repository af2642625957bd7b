package org.quiver.shell.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.transport.quic.impl.QuicEndpoint;

/** quiver:discover and quiver:discovery over providers that answer, fail and throw; quiver:ping by id through one. */
class DiscoveryCommandsTest {
    @Test
    void discoverAsksEveryProviderAndPingFindsThePeerById() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        StreamServing workers = new StreamServing("test", StreamServing.PER_PEER, java.time.Duration.ofSeconds(30));
        QuiverCommands commands = new QuiverCommands();
        LocalIdentity me = Identities.ephemeral();
        commands.setIdentity(me);
        assertThat(commands.discovery()).startsWith("no discovery provider active");
        assertThatThrownBy(() -> commands.discover(Identities.ephemeral().id().toString())).hasMessageContaining("no discovery provider active");
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                .handler(Protocols.PING, c -> workers.serve(c, (s, p) -> Protocols.servePing(s))).build()) {
            EndpointAddr known = server.addr().get();
            Discovery table = (id, l) -> {
                if (id.equals(known.id())) {
                    // a provider's answer is as of when it is given: a fixed date goes stale a day later
                    l.found(new DiscoveryItem(known, "table", Instant.now()));
                }
                l.completed();
                return () -> { };
            };
            Discovery down = (id, l) -> {
                l.failed(new java.io.IOException("server unreachable"));
                return () -> { };
            };
            Discovery broken = (id, l) -> {
                throw new IllegalStateException("bug");
            };
            commands.addDiscovery(table, Map.of(Discovery.NAME_PROPERTY, "table"));
            commands.addDiscovery(down, Map.of(Discovery.NAME_PROPERTY, "dns"));
            commands.addDiscovery(broken, Map.of());
            assertThat(commands.discovery()).contains("table    not asked yet");

            String out = commands.discover(known.id().toString());
            assertThat(out.lines()).hasSize(3);
            assertThat(out).containsPattern("table +found in [0-9.]+ ms: EndpointAddr").contains("done in")
                    .containsPattern("dns +failed in [0-9.]+ ms: server unreachable").contains("failed: java.lang.IllegalStateException: bug");
            assertThat(commands.discovery()).contains("table    " + known.id().shortString() + ": found");
            assertThat(commands.discover(Identities.ephemeral().id().toString())).containsPattern("table +done in");
            assertThatThrownBy(() -> commands.discover("not-an-id")).isInstanceOf(IllegalArgumentException.class);

            // the endpoint asks its providers when the shell names a peer by id alone
            try (QuicEndpoint client = QuicEndpoint.builder(me).bind(lo).discovery(table, "table").build()) {
                commands.setEndpoint(client);
                assertThat(commands.ping(known.id().toString())).contains("pong from");
            }
            commands.removeDiscovery(table);
            commands.removeDiscovery(down);
            commands.removeDiscovery(broken);
            assertThat(commands.discovery()).startsWith("no discovery provider active");
        } finally {
            workers.close();
        }
    }
}
