package org.quiver.path.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quiver.spi.path.PathCandidate;

/** The service the bundle registers is the default policy: direct beats relay, hysteresis holds a working path. */
class DefaultSelectorComponentTest {
    @Test
    void theServiceIsTheDefaultPolicy() {
        DefaultSelectorComponent service = new DefaultSelectorComponent();
        PathCandidate relay = PathCandidate.relay("https://relay.example", Duration.ofMillis(5));
        PathCandidate slow = PathCandidate.direct("192.0.2.1:1", false, Duration.ofMillis(50));
        PathCandidate bitFaster = PathCandidate.direct("192.0.2.1:2", false, Duration.ofMillis(47));
        assertThat(service.select(List.of(relay, slow), 0)).as("a direct path beats a faster relay").isEqualTo(1);
        assertThat(service.select(List.of(slow, bitFaster), 0)).as("3 ms better is not enough to move").isEqualTo(0);
        assertThat(service).hasToString("DefaultPathSelector{switch>5ms, ipv6-3ms (and no switch margin from ipv4), direct>relay}");
    }
}
