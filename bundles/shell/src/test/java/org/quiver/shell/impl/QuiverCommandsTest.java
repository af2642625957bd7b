package org.quiver.shell.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.Test;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.Watchable;
import org.quiver.api.WatchableValue;
import org.quiver.identity.Identities;

class QuiverCommandsTest {
    private final LocalIdentity identity = Identities.ephemeral();
    private final QuiverCommands commands = new QuiverCommands();

    QuiverCommandsTest() {
        commands.setIdentity(identity);
    }

    @Test
    void withoutIdentityCommandsSayWhy() {
        commands.unsetIdentity(Identities.ephemeral()); // not the bound one: ignored
        assertThat(commands.id()).isEqualTo(identity.id().toString());
        commands.unsetIdentity(identity);
        assertThatThrownBy(commands::id).isInstanceOf(IllegalStateException.class).hasMessageContaining("has no identity");
        assertThatThrownBy(commands::addr).hasMessageContaining("key file");
    }

    @Test
    void metricsPrintsTheExpositionOrSaysWhyNot() {
        QuiverCommands commands = new QuiverCommands();
        assertThatThrownBy(commands::metrics).hasMessageContaining("metrics bundle");
        org.quiver.spi.metrics.MetricsExposition m = new org.quiver.spi.metrics.MetricsExposition() {
            @Override
            public String contentType() {
                return "text/plain";
            }

            @Override
            public String scrape() {
                return "quiver_sent_bytes_total{path_kind=\"direct\"} 42.0\n";
            }
        };
        commands.setMetrics(m, java.util.Map.of(org.quiver.spi.metrics.MetricsExposition.URL_PROPERTY, "http://127.0.0.1:9464/metrics"));
        assertThat(commands.metrics()).isEqualTo("# served at http://127.0.0.1:9464/metrics\nquiver_sent_bytes_total{path_kind=\"direct\"} 42.0");
        commands.unsetMetrics(m);
        assertThatThrownBy(commands::metrics).hasMessageContaining("not installed");
    }

    @Test
    void pathTablesShowStateRttAndAge() {
        java.time.Instant now = java.time.Instant.parse("2026-11-23T12:00:00Z");
        String table = QuiverCommands.formatPaths(java.util.List.of(
                new org.quiver.api.PathStatus(org.quiver.api.PathKind.DIRECT, "198.18.0.2:4433", org.quiver.api.PathState.VALID,
                        java.util.Optional.of(java.time.Duration.ofNanos(12_340_000)), java.util.Optional.of(now.minusMillis(1500)),
                        java.util.Optional.of(now.minusMillis(1490)), true),
                new org.quiver.api.PathStatus(org.quiver.api.PathKind.DIRECT, "[2001:db8::1]:4433", org.quiver.api.PathState.UNUSABLE,
                        java.util.Optional.empty(), java.util.Optional.of(now.minusSeconds(42)), java.util.Optional.empty(), false)), now);
        java.util.List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains("KIND").contains("STATE").contains("RTT");
        assertThat(lines.get(1)).startsWith("* direct").contains("198.18.0.2:4433").contains("valid").contains("12.34ms").contains("1.5s ago");
        assertThat(lines.get(2)).startsWith("  direct").contains("[2001:db8::1]:4433").contains("unusable").contains("42s ago").contains("never");
    }

    @Test
    void acceptSaysWhoFilesAreTakenFromAndChangesItLive(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home) {
        assertThatThrownBy(() -> commands.accept()).hasMessageContaining("receives no files");
        EndpointId peer = Identities.ephemeral().id();
        org.osgi.framework.BundleContext context = (org.osgi.framework.BundleContext) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.osgi.framework.BundleContext.class},
                (proxy, method, args) -> method.getName().equals("getProperty") && "quiver.home".equals(args[0]) ? home.toString() : null);
        BuiltinHandlers.FileReceiver.Config config = (BuiltinHandlers.FileReceiver.Config) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {BuiltinHandlers.FileReceiver.Config.class},
                (proxy, method, args) -> method.getName().equals("accept") ? new String[0] : method.getDefaultValue());
        BuiltinHandlers.FileReceiver files = new BuiltinHandlers.FileReceiver(context, config);
        try {
            commands.setFiles(files);
            assertThat(commands.accept()).startsWith("files are taken from nobody")
                    .contains("limits: 4096 MiB a file, 16384 MiB per peer, 65536 MiB in all, 1024 MiB kept free, 4 at once")
                    .contains(home.resolve("received").toString());
            assertThat(commands.accept("--once", peer.toString())).isEqualTo("the next file from " + peer.shortString() + " is taken");
            assertThat(commands.accept()).contains("one file from " + peer);
            assertThat(commands.accept(peer.toString())).isEqualTo("files from " + peer.shortString() + " are taken");
            assertThat(commands.accept()).startsWith("files are taken from: " + peer);
            assertThat(commands.accept("--no", peer.toString())).isEqualTo("files from " + peer.shortString() + " are refused");
            assertThat(commands.accept()).startsWith("files are taken from nobody").doesNotContain("one file");
            assertThatThrownBy(() -> commands.accept("--maybe", peer.toString())).hasMessageContaining("usage: quiver:accept");
            assertThatThrownBy(() -> commands.accept("not-an-id")).isInstanceOf(IllegalArgumentException.class);
        } finally {
            files.deactivate();
        }
    }

    @Test
    void discoverSaysWhenADialWouldRefuseAResult() {
        java.time.Instant now = java.time.Instant.now(); // the rule is relative to the moment given
        EndpointAddr a = EndpointAddr.of(identity.id());
        assertThat(QuiverCommands.freshness(new org.quiver.spi.discovery.DiscoveryItem(a, "dns", now.minus(java.time.Duration.ofHours(1))), now))
                .isEmpty();
        assertThat(QuiverCommands.freshness(new org.quiver.spi.discovery.DiscoveryItem(a, "dns", now.minus(java.time.Duration.ofDays(2))), now))
                .contains("STALE").contains("a dial refuses it");
        assertThat(QuiverCommands.freshness(new org.quiver.spi.discovery.DiscoveryItem(a, "dns", now.plus(java.time.Duration.ofHours(1))), now))
                .contains("FROM THE FUTURE");
        assertThat(QuiverCommands.freshness(org.quiver.spi.discovery.DiscoveryItem.configured(a, "static", now.minus(java.time.Duration.ofDays(400))), now))
                .contains("never stale");
    }

    @Test
    void idPrintsTheEndpointId() {
        assertThat(commands.id()).isEqualTo(identity.id().toString()).hasSize(52);
    }

    @Test
    void addrWithoutEndpointSaysWhyInsteadOfATicketNobodyCanReach() {
        assertThatThrownBy(() -> commands.addr()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("This node has no endpoint: the org.quiver.endpoint component is not active");
    }

    @Test
    void addrFollowsTheEndpointWhileItIsBound() {
        EndpointAddr full = EndpointAddr.of(identity.id(), URI.create("https://relay.example/"),
                List.of(new InetSocketAddress("127.0.0.1", 4433)));
        Endpoint endpoint = new FixedEndpoint(full);
        commands.setEndpoint(endpoint);
        assertThat(EndpointAddr.fromTicket(commands.addr())).isEqualTo(full);
        commands.unsetEndpoint(new FixedEndpoint(full)); // another instance: ignored
        assertThat(EndpointAddr.fromTicket(commands.addr())).isEqualTo(full);
        commands.unsetEndpoint(endpoint);
        assertThatThrownBy(() -> commands.addr()).hasMessageContaining("no endpoint");
    }

    @Test
    void everyCommandHasADescriptor() throws Exception {
        for (String name : List.of("id", "addr")) {
            Method m = QuiverCommands.class.getMethod(name);
            assertThat(m.getAnnotation(Descriptor.class)).as(name).isNotNull();
            assertThat(m.getAnnotation(Descriptor.class).value()).isNotBlank();
        }
    }

    /** The smallest Endpoint: only its address; the shell's addr command reads nothing else. */
    private static final class FixedEndpoint implements Endpoint {
        private final WatchableValue<EndpointAddr> addr;

        FixedEndpoint(EndpointAddr addr) {
            this.addr = new WatchableValue<>(addr);
        }

        @Override
        public EndpointId id() {
            return addr.get().id();
        }

        @Override
        public Watchable<EndpointAddr> addr() {
            return addr;
        }

        @Override
        public Watchable<List<InetSocketAddress>> boundAddresses() {
            return new WatchableValue<>(List.of());
        }

        @Override
        public CompletionStage<Connection> connect(EndpointAddr target, String alpn) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public CompletionStage<Connection> connect(EndpointId target, String alpn) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public CompletionStage<Void> send(EndpointAddr to, String alpn, byte[] message) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Collection<Connection> connections() {
            return List.of();
        }

        @Override
        public CompletionStage<Void> closeAsync() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
        }
    }
}
