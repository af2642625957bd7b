package org.quiver.spi.path;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.quiver.api.PathKind;

/**
 * A candidate path to one peer, as the path selector sees it.
 *
 * @param kind   direct or relay
 * @param remote the direct socket address or relay URL, as text
 * @param ipv6   whether a direct path is over IPv6 (it gets a small advantage)
 * @param rtt    the latest RTT estimate, if the path has answered a probe
 * @param valid  whether the path is currently known to work
 */
public record PathCandidate(PathKind kind, String remote, boolean ipv6, Optional<Duration> rtt, boolean valid) {
    public PathCandidate {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(rtt, "rtt");
    }
}
