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
