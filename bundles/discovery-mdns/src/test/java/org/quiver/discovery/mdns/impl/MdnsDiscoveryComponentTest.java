package org.quiver.discovery.mdns.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;

/** The DS adapter as SCR drives it (in the test's network namespace): announce, find, withdraw. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MdnsDiscoveryComponentTest {
    private static MdnsDiscoveryComponent.Config config(String bind) {
        return new MdnsDiscoveryComponent.Config() {
            @Override
            public String bindAddress() {
                return bind;
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
                return MdnsDiscoveryComponent.Config.class;
            }
        };
    }

    @Test
    void announcesFindsAndWithdraws() throws Exception {
        MdnsDiscoveryComponent a = new MdnsDiscoveryComponent(config("198.18.9.1"));
        MdnsDiscoveryComponent b = new MdnsDiscoveryComponent(config(" 198.18.9.1 "));
        try {
            LocalIdentity who = Identities.ephemeral();
            a.publish(EndpointRecord.sign(EndpointAddr.of(who.id(), java.net.URI.create("ws://198.18.9.1:3340/relay"), java.util.List.of()),
                    Instant.now(), who::sign));
            CompletableFuture<DiscoveryItem> found = new CompletableFuture<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!found.isDone() && System.nanoTime() < deadline) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                b.resolve(who.id(), new DiscoveryListener() {
                    @Override
                    public void found(DiscoveryItem item) {
                        found.complete(item);
                    }

                    @Override
                    public void completed() {
                        done.complete(null);
                    }

                    @Override
                    public void failed(Throwable cause) {
                        done.complete(null);
                    }
                });
                done.get(10, TimeUnit.SECONDS); // the announcement is made asynchronously
            }
            assertThat(found.get(1, TimeUnit.SECONDS).addr().id()).isEqualTo(who.id());
            assertThat(a.toString()).contains("announced");
        } finally {
            a.deactivate();
            b.deactivate();
        }
        assertThatThrownBy(() -> new MdnsDiscoveryComponent(config("lan.example"))).hasMessageContaining("org.quiver.discovery.mdns: bindAddress 'lan.example'");
    }
}
