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

    /**
     * Hands a burst of datagrams that arrived through a relay to the endpoint: the remaining bytes of {@code
     * datagrams} are datagrams of {@code segmentSize} bytes each, the last perhaps shorter; the buffer is the
     * endpoint's now. By default each is delivered on its own.
     */
    default void deliver(EndpointId source, ByteBuffer datagrams, int segmentSize) {
        if (segmentSize < 1) {
            throw new IllegalArgumentException("segment size " + segmentSize);
        }
        for (int at = datagrams.position(); at < datagrams.limit(); at += segmentSize) {
            deliver(source, datagrams.slice(at, Math.min(segmentSize, datagrams.limit() - at)));
        }
    }
}
