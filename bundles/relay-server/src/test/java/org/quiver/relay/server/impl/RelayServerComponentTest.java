package org.quiver.relay.server.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.net.URI;
import java.util.Dictionary;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.quiver.relay.server.RelayServer;

/** The component outside a framework: it runs the relay on the configured ports and stops it. */
class RelayServerComponentTest {
    private final AtomicReference<Object> registered = new AtomicReference<>();
    private final AtomicReference<Dictionary<?, ?>> properties = new AtomicReference<>();
    private final AtomicReference<org.quiver.spi.relay.RelayServerInfo> info = new AtomicReference<>();

    /** Just enough of a BundleContext: registerService (the framework's part is tested in Felix). */
    private BundleContext context() {
        ServiceRegistration<?> reg = (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class}, (p, m, a) -> {
            if (m.getName().equals("registerService")) {
                if (a[1] instanceof RelayServer) {
                    registered.set(a[1]);
                    properties.set((Dictionary<?, ?>) a[2]);
                } else {
                    info.set((org.quiver.spi.relay.RelayServerInfo) a[1]);
                }
                return reg;
            }
            throw new UnsupportedOperationException(m.getName());
        });
    }

    private static RelayServerComponent.Config config(int port, int stunPort) {
        return new RelayServerComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RelayServerComponent.Config.class;
            }

            @Override
            public String bindAddress() {
                return "127.0.0.1";
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public int stunPort() {
                return stunPort;
            }

            @Override
            public int maxClients() {
                return 10;
            }

            @Override
            public int queueFrames() {
                return 16;
            }

            @Override
            public long bytesPerSecond() {
                return 1 << 20;
            }

            @Override
            public int threads() {
                return 2;
            }

            @Override
            public String tlsCertificate() {
                return "";
            }

            @Override
            public String tlsKey() {
                return "";
            }

            @Override
            public String[] names() {
                return new String[] {" relay.example:443 "};
            }
        };
    }

    @Test
    void runsTheRelayOnTheConfiguredPortsAndStopsIt() throws Exception {
        RelayServerComponent c = new RelayServerComponent(context(), config(0, 0));
        RelayServer server = (RelayServer) registered.get();
        String url = (String) properties.get().get(RelayServerComponent.URL_PROPERTY);
        assertThat(url).isEqualTo(server.url()).startsWith("ws://127.0.0.1:");
        assertThat(server.stunAddress()).isNotNull();
        assertThat(server.core().limits().maxClients()).isEqualTo(10);
        assertThat(server.threads()).isEqualTo(2);
        assertThat(info.get().url()).isEqualTo(url);
        assertThat(info.get().stunAddress()).startsWith("127.0.0.1:");
        assertThat(info.get().status()).startsWith("0 clients (0 connected), 0 datagrams forwarded").contains("STUN 0 answered");
        int port = URI.create(url).getPort();
        try (Socket s = new Socket("127.0.0.1", port)) {
            assertThat(s.isConnected()).isTrue();
        }
        c.deactivate();
        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).as("the port is free again").isEqualTo(port);
        }
        RelayServerComponent noStun = new RelayServerComponent(context(), config(0, -1));
        assertThat(((RelayServer) registered.get()).stunAddress()).isNull();
        assertThat(info.get().stunAddress()).isEmpty();
        assertThat(info.get().status()).doesNotContain("STUN");
        noStun.deactivate();
        assertThatThrownBy(() -> new RelayServerComponent(context(), config(70000, -1))).hasMessageContaining("out of range");
    }
}
