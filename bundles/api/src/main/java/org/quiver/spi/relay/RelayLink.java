package org.quiver.spi.relay;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;
import org.quiver.api.EndpointId;
import org.quiver.api.Watchable;

/** An endpoint's attachment to a relay provider. */
@ConsumerType
public interface RelayLink extends AutoCloseable {
    /** The home relay, once one is connected. */
    Watchable<Optional<URI>> home();

    /**
     * Sends a datagram to {@code destination} through a relay (its home relay if known, else ours).
     * Never blocks; returns false when the datagram was dropped (no relay connected, queue full). The
     * datagram's remaining bytes may be read during the call only: the caller reuses or frees the buffer
     * when the call returns, so a link that sends later copies them first.
     */
    boolean send(EndpointId destination, URI relayHint, ByteBuffer datagram);

    /** Every relay this link uses or tries to, with its state. */
    default java.util.List<org.quiver.api.RelayStatus> status() {
        return java.util.List.of();
    }

    /**
     * The endpoint's network changed (its interface addresses are not what they were): a connection to a relay made
     * on the old network may be dead without knowing it, so the link should check its connections now and make new
     * ones where they do not answer. Called on the endpoint's event loop: must not block. By default nothing.
     */
    default void networkChanged() {
    }

    /** Detaches: disconnects from the relays. Idempotent. */
    @Override
    void close();
}
