package org.quiver.spi.metrics;

import java.time.Duration;
import org.osgi.annotation.versioning.ConsumerType;
import org.quiver.api.PathKind;

/**
 * What the transport reports. Every method has a no-op default; implementations must be cheap and
 * non-blocking, as they are called on network event loops.
 */
@ConsumerType
public interface TransportMetrics {
    /** A metrics implementation that records nothing. */
    TransportMetrics NOOP = new TransportMetrics() {
    };

    default void connectionOpened(PathKind kind, boolean dialed) {
    }

    default void connectionClosed(PathKind kind) {
    }

    default void bytesSent(PathKind kind, long bytes) {
    }

    default void bytesReceived(PathKind kind, long bytes) {
    }

    default void datagramDropped(String reason) {
    }

    default void pathSwitched(PathKind from, PathKind to) {
    }

    /**
     * A handshake completed with the TLS key-exchange group {@code keyExchange} (see {@code Connection.keyExchange});
     * {@code resumed}: it resumed an earlier session instead of exchanging certificates and signatures.
     */
    default void handshake(String keyExchange, boolean resumed) {
    }

    default void holePunchAttempt() {
    }

    default void holePunchSuccess(Duration timeToDirect) {
    }

    default void discoveryLookup(String provider, Duration latency, boolean found) {
    }

    default void relayConnected(String relay) {
    }

    default void relayConnectFailed(String relay) {
    }

    default void bufferDropped(long bytes) {
    }

    default void bufferExpired(long bytes) {
    }

    default void eventLoopTick(String loop) {
    }
}
