package org.quiver.spi.path;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.quiver.api.PathKind;

/**
 * A candidate path to one peer, as the path selector sees it. Immutable; the transport makes a new one
 * only when the path's state or RTT changes, so selecting allocates nothing in steady state.
 *
 * @param kind     direct or relay
 * @param remote   the direct socket address or relay URL, as text
 * @param ipv6     whether a direct path is over IPv6 (it gets a small advantage)
 * @param rttNanos the latest RTT estimate in nanoseconds, or {@link #UNKNOWN_RTT} before the path has
 *                 answered a probe
 * @param valid    whether the path is currently known to work (it answered a recent probe)
 */
public record PathCandidate(PathKind kind, String remote, boolean ipv6, long rttNanos, boolean valid) {
    /** The {@link #rttNanos()} of a path that has not answered a probe yet. */
    public static final long UNKNOWN_RTT = -1;

    public PathCandidate {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(remote, "remote");
        if (rttNanos < 0 && rttNanos != UNKNOWN_RTT) {
            throw new IllegalArgumentException("rttNanos must be >= 0 or UNKNOWN_RTT, got " + rttNanos);
        }
    }

    /** A direct path with a measured RTT. */
    public static PathCandidate direct(String remote, boolean ipv6, Duration rtt) {
        return new PathCandidate(PathKind.DIRECT, remote, ipv6, rtt.toNanos(), true);
    }

    /** A relay path with a measured RTT. */
    public static PathCandidate relay(String remote, Duration rtt) {
        return new PathCandidate(PathKind.RELAY, remote, false, rtt.toNanos(), true);
    }

    /** The RTT estimate, when the path has answered a probe. */
    public Optional<Duration> rtt() {
        return rttNanos == UNKNOWN_RTT ? Optional.empty() : Optional.of(Duration.ofNanos(rttNanos));
    }

    /** Whether a selector may choose this path on its merits: it is valid and has a measured RTT. */
    public boolean measured() {
        return valid && rttNanos != UNKNOWN_RTT;
    }
}
