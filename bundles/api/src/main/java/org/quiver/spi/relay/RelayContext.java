package org.quiver.spi.relay;

import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ProviderType;
import org.quiver.api.EndpointId;

/** What a relay provider needs from the endpoint it serves. */
@ProviderType
public interface RelayContext {
    /** The id the provider authenticates as. */
    EndpointId localId();

    /** Signs a relay server's challenge with the endpoint's identity key. */
    byte[] sign(byte[] challenge);

    /** Hands a datagram that arrived through a relay to the endpoint; the buffer is the endpoint's now. */
    void deliver(EndpointId source, ByteBuffer datagram);
}
