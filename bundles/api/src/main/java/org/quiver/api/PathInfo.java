package org.quiver.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The path a connection currently uses, as its {@link Connection#path()} reports it.
 *
 * @param kind   direct or relay
 * @param remote where the packets go: {@code 198.18.0.2:4433} for a direct path, the relay URL for a relay
 * @param rtt    the path's latest round-trip estimate, when there is one
 */
public record PathInfo(PathKind kind, String remote, Optional<Duration> rtt) {
    public PathInfo {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(rtt, "rtt");
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + remote
                + rtt.map(r -> String.format(java.util.Locale.ROOT, " rtt=%.2fms", r.toNanos() / 1e6)).orElse("");
    }
}
