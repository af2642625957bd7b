package org.quiver.spi.discovery;

import org.osgi.annotation.versioning.ConsumerType;
import org.quiver.api.EndpointId;

/**
 * A way to find peers' addresses by id (static configuration, mDNS, DNS, ...). Register one as an OSGi
 * service; the endpoint uses every registered provider at once. A provider never holds the endpoint.
 */
@ConsumerType
public interface Discovery {
    /** Service property: a short name for the provider in shell output and metrics ("dns", "mdns"). */
    String NAME_PROPERTY = "quiver.discovery.name";

    /**
     * Publishes this node's own address, signed by this node ({@link EndpointRecord}). Called on start and
     * whenever the address or home relay changes; fire and forget: it must return quickly and never throw.
     * The default publishes nothing (resolve-only providers).
     */
    default void publish(EndpointRecord self) {
    }

    /**
     * Starts looking up {@code id}. Results go to {@code listener} as they arrive (several, or none), then
     * {@link DiscoveryListener#completed()} once. Must return at once; the returned handle stops the lookup.
     */
    Lookup resolve(EndpointId id, DiscoveryListener listener);
}
