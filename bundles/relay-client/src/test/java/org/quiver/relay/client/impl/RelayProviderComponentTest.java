package org.quiver.relay.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.spi.relay.RelayContext;
import org.quiver.spi.relay.RelayLink;

/** The DS adapters, driven as SCR drives them: configurations come and go under an attached endpoint. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayProviderComponentTest {
    private static RelayUrlComponent.Config config(String url) {
        return config(url, "");
    }

    private static RelayUrlComponent.Config config(String url, String trust) {
        return new RelayUrlComponent.Config() {
            @Override
            public String url() {
                return url;
            }

            @Override
            public String trustCertificate() {
                return trust;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return RelayUrlComponent.Config.class;
            }
        };
    }

    @Test
    void aBadUrlNamesThePidAndTheValue() {
        assertThatThrownBy(() -> new RelayUrlComponent(config("not a url"))).hasMessageContaining("org.quiver.relay.client")
                .hasMessageContaining("not a url");
        assertThatThrownBy(() -> new RelayUrlComponent(config("http://r.example/"))).hasMessageContaining("ws://host");
        assertThatThrownBy(() -> new RelayUrlComponent(config("wss://r.example/relay", "/no/such/cert.pem")))
                .hasMessageContaining("trustCertificate /no/such/cert.pem cannot be read");
    }

    @Test
    void relaysComeAndGoUnderAnAttachedEndpoint() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RelayServer r1 = RelayServer.start(lo, RelayCore.Limits.DEFAULT); RelayServer r2 = RelayServer.start(lo, RelayCore.Limits.DEFAULT)) {
            URI u1 = URI.create(r1.url());
            URI u2 = URI.create(r2.url());
            RelayUrlComponent c1 = new RelayUrlComponent(config(" " + r1.url() + " "));
            RelayUrlComponent c2 = new RelayUrlComponent(config(r2.url()));
            RelayProviderComponent p = new RelayProviderComponent();
            assertThatThrownBy(() -> p.attach(null)).hasMessageContaining("not active");
            assertThat(p.relays()).isEmpty();
            p.addRelay(c1);
            p.activate(context(null));
            assertThat(p.relays()).containsExactly(u1);
            LocalIdentity id = Identities.ephemeral();
            RelayLink link = p.attach(new RelayContext() {
                @Override
                public EndpointId localId() {
                    return id.id();
                }

                @Override
                public byte[] sign(byte[] challenge) {
                    return id.sign(challenge);
                }

                @Override
                public void deliver(EndpointId source, ByteBuffer datagram) {
                }
            });
            awaitHome(link, u1);
            p.addRelay(c2);
            p.removeRelay(c1);
            assertThat(p.relays()).containsExactly(u2);
            awaitHome(link, u2);
            p.deactivate();
            assertThat(link.home().get()).isEmpty();
            assertThat(p.relays()).isEmpty();
        }
    }

    /** A bundle context whose framework property {@code quiver.relay.onDemand} is {@code onDemand}. */
    private static org.osgi.framework.BundleContext context(String onDemand) {
        return (org.osgi.framework.BundleContext) java.lang.reflect.Proxy.newProxyInstance(RelayProviderComponentTest.class.getClassLoader(),
                new Class<?>[] {org.osgi.framework.BundleContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProperty") && RelayProviderComponent.ON_DEMAND_PROPERTY.equals(args[0])) {
                        return onDemand;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theOnDemandPolicyComesFromAFrameworkProperty() {
        assertThat(RelayProviderComponent.onDemand(null)).isEqualTo(org.quiver.relay.client.DefaultRelayProvider.OnDemand.ANY);
        assertThat(RelayProviderComponent.onDemand(" WSS ")).isEqualTo(org.quiver.relay.client.DefaultRelayProvider.OnDemand.SECURE);
        assertThat(RelayProviderComponent.onDemand("none")).isEqualTo(org.quiver.relay.client.DefaultRelayProvider.OnDemand.NONE);
        assertThatThrownBy(() -> RelayProviderComponent.onDemand("some")).hasMessageContaining("any, wss or none");
        RelayProviderComponent p = new RelayProviderComponent();
        p.addRelay(new RelayUrlComponent(config("ws://127.0.0.1:9/relay")));
        p.activate(context("none"));
        try {
            assertThat(p.provider().onDemand()).isEqualTo(org.quiver.relay.client.DefaultRelayProvider.OnDemand.NONE);
        } finally {
            p.deactivate();
        }
    }

    private static void awaitHome(RelayLink link, URI want) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!link.home().get().equals(Optional.of(want)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(link.home().get()).contains(want);
    }
}
