package org.quiver.spi.discovery;

import org.osgi.annotation.versioning.ProviderType;

/** Receives the results of one {@link Discovery#resolve} lookup; safe to call from any thread. */
@ProviderType
public interface DiscoveryListener {
    /** One result; a lookup may give several. */
    void found(DiscoveryItem item);

    /** The lookup is over (after its last result, or with none); called once. */
    void completed();

    /** The lookup failed; counts as {@link #completed()}. */
    void failed(Throwable cause);
}
