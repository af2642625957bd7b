package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quiver.spi.path.PathCandidate;

/** Without a selector service a peer stays on a working path, and only a dead or missing one is replaced. */
class HoldingSelectorTest {
    private final HoldingSelector holding = HoldingSelector.INSTANCE;
    private final PathCandidate relay = PathCandidate.relay("https://relay.example", Duration.ofMillis(2));
    private final PathCandidate slow = PathCandidate.direct("192.0.2.1:1", false, Duration.ofMillis(80));
    private final PathCandidate fast = PathCandidate.direct("192.0.2.1:2", false, Duration.ofMillis(10));

    @Test
    void aWorkingPathIsKeptHoweverMuchFasterAnotherIs() {
        assertThat(holding.select(List.of(slow, fast), 0)).isEqualTo(0);
        assertThat(holding.select(List.of(relay, fast), 0)).as("even a relay, while it works").isEqualTo(0);
    }

    @Test
    void withoutAWorkingPathTheFastestMeasuredDirectOneIsTakenBeforeAnyRelay() {
        assertThat(holding.select(List.of(relay, slow, fast), -1)).isEqualTo(2);
        PathCandidate deadFast = new PathCandidate(fast.kind(), fast.remote(), fast.ipv6(), fast.rttNanos(), false);
        assertThat(holding.select(List.of(relay, slow, deadFast), 2)).as("the current path died").isEqualTo(1);
        assertThat(holding.select(List.of(relay), -1)).as("only a relay").isEqualTo(0);
        assertThat(holding.select(List.of(), -1)).isEqualTo(-1);
    }
}
