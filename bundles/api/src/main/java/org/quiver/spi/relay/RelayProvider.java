package org.quiver.spi.relay;

import java.net.URI;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Connects the endpoint to relay servers. The endpoint holds one provider at a time (the highest
 * {@code service.ranking}) and attaches to it; swapping providers moves the relay path without dropping
 * connections.
 */
@ConsumerType
public interface RelayProvider {
    /** The relay URLs this provider can use. */
    java.util.List<URI> relays();

    /**
     * Attaches an endpoint: the provider connects to its relays as {@code context.localId()}, delivers
     * arriving datagrams to {@code context}, and sends through the returned link until it is closed.
     */
    RelayLink attach(RelayContext context);
}
