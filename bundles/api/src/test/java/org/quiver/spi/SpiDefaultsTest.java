package org.quiver.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.PathKind;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.metrics.TransportMetrics;
import org.quiver.spi.path.PathCandidate;

class SpiDefaultsTest {
    /**
     * A provider or endpoint written against SPI 0.3.0 (single datagrams only) gets a burst as its datagrams, in order,
     * each exactly its bytes: the last one shorter, and the buffer's position respected.
     */
    @Test
    void aBurstReachesALinkOrContextThatTakesSingleDatagramsOneByOne() throws Exception {
        EndpointId id = EndpointId.fromPublicKey(java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
        java.util.List<byte[]> sent = new java.util.ArrayList<>();
        org.quiver.spi.relay.RelayLink link = new org.quiver.spi.relay.RelayLink() {
            @Override
            public org.quiver.api.Watchable<Optional<java.net.URI>> home() {
                return new org.quiver.api.WatchableValue<>(Optional.<java.net.URI>empty());
            }

            @Override
            public boolean send(EndpointId destination, java.net.URI relayHint, java.nio.ByteBuffer datagram) {
                byte[] b = new byte[datagram.remaining()];
                datagram.duplicate().get(b);
                sent.add(b);
                return b[0] != 6; // the datagram that starts with 6 is "dropped"
            }

            @Override
            public void close() {
            }
        };
        byte[] burst = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        java.nio.ByteBuffer from = java.nio.ByteBuffer.wrap(burst).position(2); // from the third byte on
        assertThat(link.send(id, null, from, 4)).as("one of them was dropped").isFalse();
        assertThat(sent).containsExactly(new byte[] {2, 3, 4, 5}, new byte[] {6, 7, 8, 9}, new byte[] {10, 11});
        assertThat(from.position()).isEqualTo(2);
        sent.clear();
        assertThat(link.send(id, null, java.nio.ByteBuffer.wrap(burst, 0, 8), 4)).isTrue();
        assertThat(sent).hasSize(2);
        assertThatThrownBy(() -> link.send(id, null, java.nio.ByteBuffer.wrap(burst), 0)).isInstanceOf(IllegalArgumentException.class);

        java.util.List<byte[]> delivered = new java.util.ArrayList<>();
        org.quiver.spi.relay.RelayContext context = new org.quiver.spi.relay.RelayContext() {
            @Override
            public EndpointId localId() {
                return id;
            }

            @Override
            public byte[] sign(byte[] challenge) {
                return challenge;
            }

            @Override
            public void deliver(EndpointId source, java.nio.ByteBuffer datagram) {
                byte[] b = new byte[datagram.remaining()];
                datagram.get(b);
                delivered.add(b);
            }
        };
        context.deliver(id, java.nio.ByteBuffer.wrap(burst), 5);
        assertThat(delivered).containsExactly(new byte[] {0, 1, 2, 3, 4}, new byte[] {5, 6, 7, 8, 9}, new byte[] {10, 11});
        assertThatThrownBy(() -> context.deliver(id, java.nio.ByteBuffer.wrap(burst), -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void noopMetricsAcceptEveryCall() {
        TransportMetrics m = TransportMetrics.NOOP;
        m.connectionOpened(PathKind.DIRECT, true);
        m.connectionClosed(PathKind.RELAY);
        m.bytesSent(PathKind.DIRECT, 1);
        m.bytesReceived(PathKind.DIRECT, 1);
        m.datagramDropped("no-relay");
        m.pathSwitched(PathKind.RELAY, PathKind.DIRECT);
        m.holePunchAttempt();
        m.holePunchSuccess(Duration.ZERO);
        m.discoveryLookup("dns", Duration.ZERO, true);
        m.relayConnected("r");
        m.relayConnectFailed("r");
        m.bufferDropped(1);
        m.bufferExpired(1);
        m.eventLoopTick("loop");
        assertThat(m).isNotNull();
    }

    @Test
    void discoveryPublishDefaultsToNothingAndRecordsValidate() throws Exception {
        EndpointId id = EndpointId.fromPublicKey(java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
        Discovery resolveOnly = (target, listener) -> listener::completed;
        resolveOnly.publish(null);
        DiscoveryItem item = new DiscoveryItem(EndpointAddr.of(id), "static", Instant.EPOCH);
        assertThat(item.provider()).isEqualTo("static");
        assertThatThrownBy(() -> new DiscoveryItem(null, "x", Instant.EPOCH)).isInstanceOf(NullPointerException.class);
        PathCandidate c = new PathCandidate(PathKind.DIRECT, "127.0.0.1:1", false, PathCandidate.UNKNOWN_RTT, true);
        assertThat(c.valid()).isTrue();
        assertThat(c.rtt()).isEmpty();
        assertThat(c.measured()).isFalse();
        PathCandidate d = PathCandidate.direct("[::1]:1", true, java.time.Duration.ofMillis(7));
        assertThat(d.rtt()).contains(java.time.Duration.ofMillis(7));
        assertThat(d.measured()).isTrue();
        assertThat(PathCandidate.relay("https://relay.example", java.time.Duration.ofMillis(9)).kind()).isEqualTo(PathKind.RELAY);
        assertThatThrownBy(() -> new PathCandidate(PathKind.DIRECT, null, false, PathCandidate.UNKNOWN_RTT, true))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new PathCandidate(PathKind.DIRECT, "x", false, -5, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-5");
    }
}
