package org.quiver.api;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One relay server as an endpoint sees it, as {@link Endpoint#relays()} reports it.
 *
 * @param url     the relay's URL
 * @param state   {@code CONNECTING}, {@code CONNECTED}, {@code BACKOFF} (waiting to reconnect) or {@code CLOSED}
 * @param latency the last measured round trip to the server, when connected and measured
 * @param home    whether it is the endpoint's home relay (the one its {@link EndpointAddr} names)
 * @param problem why the last connection ended or was refused; empty if none did
 */
public record RelayStatus(URI url, String state, Optional<Duration> latency, boolean home, String problem) {
    public RelayStatus {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(problem, "problem");
    }

    @Override
    public String toString() {
        return url + " " + state + latency.map(l -> String.format(java.util.Locale.ROOT, " latency=%.2fms", l.toNanos() / 1e6)).orElse("")
                + (home ? " home" : "") + (problem.isEmpty() ? "" : " (" + problem + ")");
    }
}
