package org.quiver.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One candidate path to a peer, as {@link Endpoint#paths(EndpointId)} reports it.
 *
 * @param kind      direct or relay
 * @param remote    the peer's socket address (direct) or relay URL
 * @param state     what probes found
 * @param rtt       the RTT estimate, once the path answered a probe
 * @param lastProbe when a probe was last sent on the path
 * @param lastReply when the path last answered a probe
 * @param selected  whether this path carries the peer's packets now
 */
public record PathStatus(PathKind kind, String remote, PathState state, Optional<Duration> rtt,
                         Optional<Instant> lastProbe, Optional<Instant> lastReply, boolean selected) {
    public PathStatus {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(rtt, "rtt");
        Objects.requireNonNull(lastProbe, "lastProbe");
        Objects.requireNonNull(lastReply, "lastReply");
    }
}
