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

    /**
     * Sends a burst of datagrams to {@code destination}: the remaining bytes of {@code datagrams} are datagrams of
     * {@code segmentSize} bytes each, the last perhaps shorter (as UDP segmentation offload cuts a send). A link whose
     * relay carries a burst as one frame sends it so; by default each datagram is sent on its own. Read during the
     * call only, as {@link #send(EndpointId, URI, ByteBuffer)}; true when every datagram was sent, false when any was
     * dropped.
     */
    default boolean send(EndpointId destination, URI relayHint, ByteBuffer datagrams, int segmentSize) {
        if (segmentSize < 1) {
            throw new IllegalArgumentException("segment size " + segmentSize);
        }
        boolean all = true;
        for (int at = datagrams.position(); at < datagrams.limit(); at += segmentSize) {
            all &= send(destination, relayHint, datagrams.slice(at, Math.min(segmentSize, datagrams.limit() - at)));
        }
        return all;
    }

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
