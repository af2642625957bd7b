package org.quiver.discovery.configured.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;

/** Configured peers, as SCR would hand them over, and the lookups they answer. */
class StaticDiscoveryTest {
    private static StaticPeerComponent.Config config(String id, String relay, String addresses) {
        return new StaticPeerComponent.Config() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String relayUrl() {
                return relay;
            }

            @Override
            public String addresses() {
                return addresses;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return StaticPeerComponent.Config.class;
            }
        };
    }

    private static final class Collect implements DiscoveryListener {
        final List<DiscoveryItem> found = new ArrayList<>();
        int completed;

        @Override
        public void found(DiscoveryItem item) {
            found.add(item);
        }

        @Override
        public void completed() {
            completed++;
        }

        @Override
        public void failed(Throwable cause) {
            throw new AssertionError(cause);
        }
    }

    @Test
    void configuredPeersAreFoundAndForgotten() {
        EndpointId bob = Identities.ephemeral().id();
        EndpointId carol = Identities.ephemeral().id();
        StaticPeerComponent b = new StaticPeerComponent(config(" " + bob + " ", "ws://relay.example:3340/relay", "198.18.0.2:4433, [2001:db8::1]:4433"));
        StaticPeerComponent c = new StaticPeerComponent(config(carol.toString(), "", ""));
        StaticDiscoveryComponent d = new StaticDiscoveryComponent();
        d.addPeer(b);
        d.addPeer(c);
        assertThat(d.size()).isEqualTo(2);

        Collect r = new Collect();
        d.resolve(bob, r).cancel();
        assertThat(r.completed).isEqualTo(1);
        assertThat(r.found).singleElement().satisfies(i -> {
            assertThat(i.provider()).isEqualTo("static");
            assertThat(i.configured()).as("the operator's word: never stale").isTrue();
            assertThat(i.addr().relayUrl()).contains(URI.create("ws://relay.example:3340/relay"));
            assertThat(i.addr().directAddresses()).hasSize(2);
            assertThat(i.addr().directAddresses().get(1).getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:1");
        });
        Collect none = new Collect();
        d.resolve(Identities.ephemeral().id(), none);
        assertThat(none.found).isEmpty();
        assertThat(none.completed).isEqualTo(1);

        // a newer configuration of the same peer replaces the old one; removing the old one then keeps the new
        StaticPeerComponent b2 = new StaticPeerComponent(config(bob.toString(), "", "198.18.0.3:4433"));
        d.addPeer(b2);
        d.removePeer(b);
        Collect again = new Collect();
        d.resolve(bob, again);
        assertThat(again.found).singleElement().satisfies(i -> assertThat(i.addr()).isEqualTo(b2.addr()));
        d.removePeer(b2);
        d.removePeer(c);
        assertThat(d.size()).isZero();
        assertThat(new org.quiver.discovery.configured.StaticDiscovery().toString()).contains("0 peers");
    }

    @Test
    void badConfigurationsSayWhatIsWrong() {
        String id = Identities.ephemeral().id().toString();
        assertThatThrownBy(() -> new StaticPeerComponent(config("nope", "", ""))).hasMessageContaining("org.quiver.discovery.static: id 'nope'");
        assertThatThrownBy(() -> new StaticPeerComponent(config(null, "", ""))).hasMessageContaining("id 'null'");
        assertThatThrownBy(() -> new StaticPeerComponent(config(id, "ftp://x/", ""))).hasMessageContaining("relay URL");
        assertThatThrownBy(() -> new StaticPeerComponent(config(id, "ws://bad url", ""))).hasMessageContaining("is not a URL");
        assertThatThrownBy(() -> new StaticPeerComponent(config(id, "", "198.18.0.2"))).hasMessageContaining("is not host:port");
        assertThatThrownBy(() -> new StaticPeerComponent(config(id, "", "example.org:4433"))).hasMessageContaining("must be an IP address");
        assertThatThrownBy(() -> new StaticPeerComponent(config(id, "", "198.18.0.2:0"))).hasMessageContaining("no valid port");
        assertThatThrownBy(() -> new StaticPeerComponent(config(id, "", "198.18.0.2:x"))).hasMessageContaining("no valid port");
        assertThat(new StaticPeerComponent(config(id, "", " , 198.18.0.2:1 ,")).addr().directAddresses()).hasSize(1);
        assertThat(EndpointAddr.of(EndpointId.parse(id)).hasRoute()).isFalse();
    }
}
