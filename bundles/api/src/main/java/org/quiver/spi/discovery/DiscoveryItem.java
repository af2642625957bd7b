package org.quiver.spi.discovery;

import java.time.Instant;
import java.util.Objects;
import org.quiver.api.EndpointAddr;

/**
 * One result of a lookup.
 *
 * <p>The endpoint refuses a result whose {@code updated} is older than
 * {@link EndpointRecord#DEFAULT_MAX_AGE} by its own clock, unless the result is {@code configured}: an address
 * the operator configured (static configuration) is the operator's word, true until the configuration
 * changes, and never goes stale. Results carried from the network (DNS, mDNS, ...) are never configured: their
 * age is the age of the signed record they came from.
 *
 * @param addr       what the provider knows of the endpoint
 * @param provider   the provider's name
 * @param updated    when the information was last published (or configured), as far as the provider knows
 * @param configured true when the address comes from the operator's configuration, not from the network
 */
public record DiscoveryItem(EndpointAddr addr, String provider, Instant updated, boolean configured) {
    public DiscoveryItem {
        Objects.requireNonNull(addr, "addr");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(updated, "updated");
    }

    /** A result learned from the network, as of {@code updated}: it goes stale after a day. */
    public DiscoveryItem(EndpointAddr addr, String provider, Instant updated) {
        this(addr, provider, updated, false);
    }

    /** A result from the operator's configuration (configured at {@code since}): it never goes stale. */
    public static DiscoveryItem configured(EndpointAddr addr, String provider, Instant since) {
        return new DiscoveryItem(addr, provider, since, true);
    }
}
