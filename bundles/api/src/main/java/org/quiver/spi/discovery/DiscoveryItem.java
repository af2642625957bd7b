package org.quiver.spi.discovery;

import java.time.Instant;
import java.util.Objects;
import org.quiver.api.EndpointAddr;

/**
 * One result of a lookup.
 *
 * @param addr     what the provider knows of the endpoint
 * @param provider the provider's name
 * @param updated  when the information was last published, as far as the provider knows
 */
public record DiscoveryItem(EndpointAddr addr, String provider, Instant updated) {
    public DiscoveryItem {
        Objects.requireNonNull(addr, "addr");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(updated, "updated");
    }
}
