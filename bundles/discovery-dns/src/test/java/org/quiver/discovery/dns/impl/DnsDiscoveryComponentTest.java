package org.quiver.discovery.dns.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.discovery.dns.Bind9;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;

/** The DS adapter as SCR drives it: configured, it publishes and resolves through a real bind9; bad settings name themselves. */
class DnsDiscoveryComponentTest {
    private static DnsDiscoveryComponent.Config config(String zone, String server, String update, String key, String secret) {
        return new DnsDiscoveryComponent.Config() {
            @Override
            public String zone() {
                return zone;
            }

            @Override
            public String server() {
                return server;
            }

            @Override
            public String updateServer() {
                return update;
            }

            @Override
            public String tsigName() {
                return key;
            }

            @Override
            public String tsigAlgorithm() {
                return "hmac-sha256";
            }

            @Override
            public String tsigSecret() {
                return secret;
            }

            @Override
            public int ttlSeconds() {
                return 30;
            }

            @Override
            public int timeoutMillis() {
                return 2000;
            }

            @Override
            public int maxAgeHours() {
                return 24;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return DnsDiscoveryComponent.Config.class;
            }
        };
    }

    @Test
    void publishesAndResolvesThroughBind(@TempDir Path dir) throws Exception {
        try (Bind9 bind = new Bind9(dir)) {
            String server = "127.0.0.1:" + bind.address().getPort();
            DnsDiscoveryComponent c = new DnsDiscoveryComponent(config(Bind9.ZONE, server, "", Bind9.KEY, bind.secret()));
            LocalIdentity alice = Identities.ephemeral();
            c.publish(EndpointRecord.sign(EndpointAddr.of(alice.id(), java.net.URI.create("ws://198.18.0.1:3340/relay"), java.util.List.of()),
                    Instant.now(), alice::sign));
            CompletableFuture<DiscoveryItem> found = new CompletableFuture<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!found.isDone() && System.nanoTime() < deadline) {
                c.resolve(alice.id(), new DiscoveryListener() {
                    @Override
                    public void found(DiscoveryItem item) {
                        found.complete(item);
                    }

                    @Override
                    public void completed() {
                    }

                    @Override
                    public void failed(Throwable cause) {
                    }
                });
                Thread.sleep(50); // the update is asynchronous
            }
            assertThat(found.get(1, TimeUnit.SECONDS).addr().id()).isEqualTo(alice.id());
            assertThat(c.toString()).contains(Bind9.ZONE).contains("published");
            c.deactivate();
        }
    }

    @Test
    void badSettingsNameThemselves() {
        assertThatThrownBy(() -> new DnsDiscoveryComponent(config("quiver.test", "dns.example:53", "", "", "")))
                .hasMessageContaining("org.quiver.discovery.dns: server 'dns.example:53' is not ip:port");
        assertThatThrownBy(() -> new DnsDiscoveryComponent(config("quiver.test", "127.0.0.1:99999", "", "", "")))
                .hasMessageContaining("is not ip:port");
        assertThatThrownBy(() -> new DnsDiscoveryComponent(config("quiver.test", "127.0.0.1:53", "nope", "", "")))
                .hasMessageContaining("updateServer 'nope'");
        assertThatThrownBy(() -> new DnsDiscoveryComponent(config("bad..zone", "127.0.0.1:53", "", "", "")))
                .hasMessageContaining("org.quiver.discovery.dns: 'bad..zone' is not a DNS zone name");
        assertThatThrownBy(() -> new DnsDiscoveryComponent(config("quiver.test", "127.0.0.1:53", "", "k", "not base64!")))
                .hasMessageContaining("org.quiver.discovery.dns: the secret of TSIG key k is not base64");
        assertThat(new DnsDiscoveryComponent(config("quiver.test", "[::1]:53", "127.0.0.1:5353", "", "")).toString()).contains("quiver.test");
    }
}
