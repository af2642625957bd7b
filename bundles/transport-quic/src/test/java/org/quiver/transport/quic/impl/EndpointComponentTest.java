package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.annotation.Annotation;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;

/** The DS adapter in plain Java: configuration, and protocol handlers that come and go while it runs. */
class EndpointComponentTest {
    static EndpointComponent.Config config(String bind, int port) {
        return config(bind, port, new String[0]);
    }

    static EndpointComponent.Config config(String bind, int port, String... allow) {
        return new EndpointComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return EndpointComponent.Config.class;
            }

            @Override
            public String bindAddress() {
                return bind;
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public int idleTimeoutSeconds() {
                return 30;
            }

            @Override
            public int maxPeers() {
                return 100;
            }

            @Override
            public int probeIntervalMillis() {
                return 200;
            }

            @Override
            public int lookupTimeoutMillis() {
                return 2000;
            }

            @Override
            public String stunServers() {
                return "";
            }

            @Override
            public String[] allow() {
                return allow;
            }

            @Override
            public String keyExchange() {
                return "prefer-hybrid";
            }

            @Override
            public int sessionCacheSize() {
                return 1_000;
            }

            @Override
            public int sessionLifetimeSeconds() {
                return 3_600;
            }

            @Override
            public int segments() {
                return Segments.MAX;
            }

            @Override
            public boolean receiveOffload() {
                return true;
            }
        };
    }

    @Test
    void theAllowListChangesLiveAndOtherChangesMakeANewEndpoint() throws Exception {
        org.quiver.api.LocalIdentity client = Identities.ephemeral();
        EndpointComponent server = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0, client.id().toString()));
        try {
            assertThat(server.allowed()).containsExactly(client.id());
            QuicEndpoint before = server.endpoint();
            String other = Identities.ephemeral().id().toString();
            server.modified(config("127.0.0.1", 0, client.id().toString() + ", " + other));
            assertThat(server.endpoint()).as("the same endpoint: its connections stay").isSameAs(before);
            assertThat(server.allowed()).hasSize(2);
            server.modified(config("127.0.0.1", 0));
            assertThat(server.allowed()).as("empty: anyone").isEmpty();
            server.modified(config("127.0.0.2", 0));
            assertThat(server.endpoint()).as("another bind address: a new endpoint").isNotSameAs(before);
            assertThat(server.endpoint().localAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            assertThatThrownBy(() -> EndpointComponent.allowed(new String[] {"not-an-id"})).isInstanceOf(QuiverException.class)
                    .hasMessageContaining("allow entry 'not-an-id'");
        } finally {
            server.deactivate();
        }
    }

    @Test
    void stunServersAreParsedWithClearErrors() throws Exception {
        assertThat(EndpointComponent.stunServers(" ")).as("default: the relays'").isNull();
        assertThat(EndpointComponent.stunServers("none")).isEmpty();
        assertThat(EndpointComponent.stunServers("stun.example.org:3478, 198.18.0.1 ,[2001:db8::1]:19302"))
                .extracting(a -> a.getHostString() + " " + a.getPort())
                .containsExactly("stun.example.org 3478", "198.18.0.1 3478", "2001:db8::1 19302");
        assertThatThrownBy(() -> EndpointComponent.stunServers("host:99999")).isInstanceOf(QuiverException.class)
                .hasMessageContaining("stunServers entry 'host:99999'");
        assertThatThrownBy(() -> EndpointComponent.stunServers("host:x")).isInstanceOf(QuiverException.class);
    }

    @Test
    void theDefaultBindIsOneSocketThatServesBothFamilies() throws Exception {
        assumeTrue(hasIpv6Loopback(), "this host has no IPv6 loopback");
        assertThat(EndpointComponent.bindAddress(java.net.InetAddress.getByName("::"), 7)).isEqualTo(new InetSocketAddress(7));
        assertThat(EndpointComponent.bindAddress(java.net.InetAddress.getByName("0.0.0.0"), 7).getAddress()).isInstanceOf(java.net.Inet4Address.class);
        EndpointComponent server = new EndpointComponent(Identities.ephemeral(), config("::", 0));
        EndpointComponent four = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0));
        EndpointComponent six = new EndpointComponent(Identities.ephemeral(), config("::1", 0));
        try {
            server.addHandler(conn -> { }, Map.of(ProtocolHandler.ALPN_PROPERTY, "app/1"));
            assertThat(server.boundAddresses().get()).singleElement().satisfies(a -> assertThat(a.getAddress().isAnyLocalAddress()).isTrue());
            int port = server.boundAddresses().get().get(0).getPort();
            assertThat(server.addr().get().directAddresses()).as("both families published")
                    .contains(new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("::1", port));
            Connection v4 = Blocking.await(four.connect(EndpointAddr.of(server.id(), null, List.of(new InetSocketAddress("127.0.0.1", port))), "app/1"),
                    Duration.ofSeconds(5));
            Connection v6 = Blocking.await(six.connect(EndpointAddr.of(server.id(), null, List.of(new InetSocketAddress("::1", port))), "app/1"),
                    Duration.ofSeconds(5));
            assertThat(v4.path().get().remote()).isEqualTo("127.0.0.1:" + port);
            assertThat(v6.path().get().remote()).isEqualTo("[::1]:" + port);
        } finally {
            four.deactivate();
            six.deactivate();
            server.closeAsync().toCompletableFuture().get();
            server.close();
        }
    }

    private static boolean hasIpv6Loopback() {
        try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET6)) {
            ch.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Test
    void handlersComeAndGoWithoutARestart() throws Exception {
        EndpointComponent server = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0));
        EndpointComponent client = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0));
        try {
            EndpointAddr target = server.addr().get();
            assertThat(target.directAddresses()).singleElement().satisfies(a -> assertThat(a.getAddress().isLoopbackAddress()).isTrue());
            assertThat(server.boundAddresses().get()).hasSize(1);
            assertThatThrownBy(() -> Blocking.await(client.connect(target, "app/1"), Duration.ofSeconds(5)))
                    .as("no handler yet: refused in the handshake").isInstanceOf(QuiverException.class);

            ProtocolHandler handler = conn -> { };
            server.addHandler(handler, Map.of(ProtocolHandler.ALPN_PROPERTY, new String[] {"app/1", "app/2"}));
            Connection c = Blocking.await(client.connect(target, "app/2"), Duration.ofSeconds(5));
            assertThat(c.alpn()).isEqualTo("app/2");
            assertThat(client.connections()).hasSize(1);
            // the acceptor hands the connection to its handler when its side of the handshake is done
            for (int i = 0; i < 500 && server.connections().isEmpty(); i++) {
                Thread.sleep(10);
            }
            assertThat(server.connections()).hasSize(1);

            server.removeHandler(handler, Map.of());
            assertThatThrownBy(() -> Blocking.await(client.connect(target, "app/1"), Duration.ofSeconds(5)))
                    .isInstanceOf(QuiverException.class);
            assertThat(c.closed().toCompletableFuture().getNow(null)).as("a live connection survives its handler's removal").isNull();
            assertThatThrownBy(() -> Blocking.await(client.connect(server.id(), "app/1"), Duration.ofSeconds(5)))
                    .hasMessageContaining("by id alone");
            assertThat(server.toString()).contains(server.id().shortString());
        } finally {
            client.deactivate();
            server.closeAsync().toCompletableFuture().get();
            server.close();
        }
    }

    @Test
    void thePathSelectorServiceIsUsedAndItsRemovalRestoresTheDefault() throws Exception {
        EndpointComponent c = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0));
        try {
            org.quiver.spi.path.PathSelector none = (candidates, current) -> current;
            org.quiver.spi.path.PathSelector other = (candidates, current) -> -1;
            c.setPathSelector(none);
            assertThat(c.endpoint().pathSelector()).isSameAs(none);
            c.setPathSelector(other); // a higher-ranked one arrives (greedy): bound before the old one is unbound
            c.unsetPathSelector(none);
            assertThat(c.endpoint().pathSelector()).isSameAs(other);
            c.unsetPathSelector(other);
            assertThat(c.endpoint().pathSelector()).isSameAs(HoldingSelector.INSTANCE);
            assertThat(c.paths(Identities.ephemeral().id())).as("an unknown peer has no paths").isEmpty();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void servicesBoundWhileTheEndpointStartsAreAppliedToIt() throws Exception {
        // activation returns before the endpoint is built (on quiver-endpoint-start): what SCR binds right after it
        // reaches the endpoint once it exists, whichever comes first
        EndpointComponent server = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0));
        org.quiver.spi.path.PathSelector none = (candidates, current) -> current;
        server.setPathSelector(none);
        server.addHandler(conn -> { }, Map.of(ProtocolHandler.ALPN_PROPERTY, "app/1"));
        EndpointComponent client = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 0));
        try {
            assertThat(server.toString()).contains(server.id().shortString());
            Connection c = Blocking.await(client.connect(server.addr().get(), "app/1"), Duration.ofSeconds(5));
            assertThat(c.alpn()).isEqualTo("app/1");
            assertThat(server.endpoint().pathSelector()).isSameAs(none);
        } finally {
            client.deactivate();
            server.deactivate();
        }
    }

    @Test
    void aPortInUseFailsTheStartAndEveryCallSaysWhy() throws Exception {
        try (java.net.DatagramSocket taken = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            EndpointComponent c = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", taken.getLocalPort()));
            try {
                assertThat(c.id()).as("the node's id needs no socket").isNotNull();
                assertThatThrownBy(c::connections).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("The endpoint did not start").hasMessageContaining("Cannot bind the QUIC endpoint to /127.0.0.1:" + taken.getLocalPort());
                assertThatThrownBy(() -> c.connect(Identities.ephemeral().id(), "app/1")).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("did not start");
            } finally {
                c.deactivate();
            }
        }
    }

    @Test
    void deactivatedWhileStartingTheEndpointIsClosedNotLeftRunning() throws Exception {
        int port;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            port = probe.getLocalPort();
        }
        EndpointComponent c = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", port));
        c.deactivate(); // at once: the endpoint is still being built
        try (java.net.DatagramSocket again = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            assertThat(again.getLocalPort()).as("the port is free again: the endpoint built meanwhile was closed").isEqualTo(port);
        }
    }

    /** A UDP port free now on 127.0.0.1. */
    private static int freePort() throws Exception {
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return probe.getLocalPort();
        }
    }

    /** Whether something holds {@code port} on 127.0.0.1 (UDP). */
    private static boolean bound(int port) {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            return s.getLocalPort() != port; // bound here: it was free
        } catch (java.net.SocketException inUse) {
            return true;
        }
    }

    @Test
    void builtOnDemandTheEndpointOpensNoSocketUntilACallNeedsIt() throws Exception {
        int port = freePort();
        EndpointComponent c = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", port), true);
        try {
            assertThat(c.id()).as("the node's id needs no endpoint").isNotNull();
            Thread.sleep(300); // an eager start would have bound the port by now (it takes ~150 ms)
            assertThat(bound(port)).as("nothing bound before a call needs the endpoint").isFalse();
            assertThat(c.boundAddresses().get()).as("the first use builds it").containsExactly(new InetSocketAddress("127.0.0.1", port));
            assertThat(bound(port)).isTrue();
        } finally {
            c.deactivate();
        }
        assertThat(bound(port)).as("closed at deactivation").isFalse();
    }

    @Test
    void builtOnDemandAndDeactivatedBeforeAnyUseNothingIsBuiltAndCallsSaySo() throws Exception {
        int port = freePort();
        EndpointComponent c = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", port), true);
        c.deactivate(); // returns at once: there is no build to wait for
        assertThatThrownBy(c::connections).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("deactivated before the endpoint was used");
        Thread.sleep(300); // a build the late call started would have bound the port by now
        assertThat(bound(port)).as("no build started by the late call").isFalse();
    }

    @Test
    void builtOnDemandAConfigurationChangeBeforeTheFirstUseIsTheOneBuilt() throws Exception {
        int first = freePort();
        int second = freePort();
        for (int i = 0; i < 20 && second == first; i++) { // two probes may be handed the same free port
            second = freePort();
        }
        assertThat(second).isNotEqualTo(first);
        EndpointComponent c = new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", first), true);
        try {
            c.modified(config("127.0.0.1", second));
            assertThat(c.boundAddresses().get()).containsExactly(new InetSocketAddress("127.0.0.1", second));
            assertThat(bound(first)).as("the first configuration was never built").isFalse();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void badConfigurationIsAClearError() {
        assertThatThrownBy(() -> new EndpointComponent(Identities.ephemeral(), config("not an address!", 0)))
                .hasMessageContaining("bindAddress 'not an address!'");
        assertThatThrownBy(() -> new EndpointComponent(Identities.ephemeral(), config("127.0.0.1", 70000)))
                .hasMessageContaining("port 70000");
    }

    @Test
    void alpnPropertyForms() {
        assertThat(EndpointComponent.alpns("a")).containsExactly("a");
        assertThat(EndpointComponent.alpns(new String[] {"a", ""})).containsExactly("a");
        assertThat(EndpointComponent.alpns(List.of("a", "b"))).containsExactly("a", "b");
        assertThat(EndpointComponent.alpns(42)).isEmpty();
    }

    @Test
    void wildcardBindsAdvertiseInterfaceAddresses() {
        List<InetSocketAddress> all = OwnAddress.directAddresses(new InetSocketAddress(4433));
        assertThat(all).isNotEmpty().allSatisfy(a -> assertThat(a.getPort()).isEqualTo(4433));
        assertThat(all).as("no interface scope (%lo, %eth0) in an address others are given").allSatisfy(a -> assertThat(a.getAddress())
                .satisfiesAnyOf(ip -> assertThat(ip).isInstanceOf(java.net.Inet4Address.class),
                        ip -> assertThat(((java.net.Inet6Address) ip).getScopeId()).isZero()));
        assertThat(all.get(all.size() - 1).getAddress().isLoopbackAddress()).as("loopback last").isTrue();
        InetSocketAddress one = new InetSocketAddress("127.0.0.1", 1);
        assertThat(OwnAddress.directAddresses(one)).containsExactly(one);
    }

    @Test
    void pathTableForgetsIdlePeersAndBoundsNewSenders() {
        PathTable table = new PathTable(2); // room for 2 peers, 1 of them unvalidated
        PathTable.Peer a = table.forNewSender(new InetSocketAddress("127.0.0.1", 1));
        assertThat(table.forNewSender(new InetSocketAddress("127.0.0.1", 1))).isSameAs(a);
        // a second unvalidated sender pushes the first out: a flood of Initials churns, it never fills the table
        PathTable.Peer unproven = table.forNewSender(new InetSocketAddress("127.0.0.1", 2));
        assertThat(table.byReal(new InetSocketAddress("127.0.0.1", 1))).as("pushed out").isNull();
        assertThat(table.evicted()).isEqualTo(1);
        // a peer whose handshake named it stays; with the table full of those, a new sender is refused
        table.identified(unproven, org.quiver.identity.Identities.ephemeral().id());
        PathTable.Peer c = table.forNewSender(new InetSocketAddress("127.0.0.1", 3));
        assertThat(table.byReal(new InetSocketAddress("127.0.0.1", 2))).as("validated: kept").isSameAs(unproven);
        table.identified(c, org.quiver.identity.Identities.ephemeral().id());
        assertThat(table.forNewSender(new InetSocketAddress("127.0.0.1", 4))).as("full of validated peers").isNull();
        PathTable.Peer b = c;
        b.users.incrementAndGet();
        table.sweep(-1);
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.byMapped(b.mapped)).isSameAs(b);
        assertThat(table.byReal(new InetSocketAddress("127.0.0.1", 2))).isNull();
        for (int i = 0; i < 40; i++) {
            table.switchPath(b, new PathAddr.Direct(new InetSocketAddress("127.0.0.1", 100 + i)));
        }
        assertThat(table.byReal(new InetSocketAddress("127.0.0.1", 139))).isSameAs(b);
        assertThat(table.byReal(new InetSocketAddress("127.0.0.1", 100))).as("beyond 30 remembered addresses").isNull();
        assertThat(b.known).hasSize(PathTable.MAX_REAL_ADDRESSES);
    }
}
