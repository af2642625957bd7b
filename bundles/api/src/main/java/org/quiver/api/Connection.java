package org.quiver.api;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A QUIC connection to one remote endpoint, whose identity TLS has proven. The path under it (direct or
 * relayed) may change while it lives; {@link #path()} tells which one it uses now.
 */
@ProviderType
public interface Connection extends AutoCloseable {
    /** The peer's id, proven by the TLS handshake. */
    EndpointId remoteId();

    /** The application protocol negotiated in the handshake. */
    String alpn();

    /** Whether this side dialed the connection. */
    boolean isDialer();

    CompletionStage<BiStream> openBi();

    CompletionStage<SendStream> openUni();

    /** The next bidirectional stream the peer opens. */
    CompletionStage<BiStream> acceptBi();

    /** The next unidirectional stream the peer opens. */
    CompletionStage<RecvStream> acceptUni();

    /**
     * Sends an unreliable QUIC DATAGRAM frame (RFC 9221). Fails if the peer does not support datagrams or
     * {@code data} is larger than {@link #maxDatagramSize()}; a datagram accepted here may still be lost.
     */
    CompletionStage<Void> sendDatagram(byte[] data);

    /** The next datagram from the peer. */
    CompletionStage<byte[]> receiveDatagram();

    /** The largest datagram payload {@link #sendDatagram} accepts now. */
    int maxDatagramSize();

    /** The current path (kind, remote, RTT). */
    Watchable<PathInfo> path();

    /** The connection's smoothed round-trip time. */
    Watchable<Duration> rtt();

    /**
     * The TLS key exchange this connection's handshake used, as its TLS group name: {@code X25519MLKEM768} (hybrid
     * post-quantum, Quiver's default), {@code X25519} (classical, with a peer that does not offer the hybrid), or
     * {@code unknown} when the handshake could not be observed.
     */
    default String keyExchange() {
        return "unknown";
    }

    /**
     * Whether this connection's handshake resumed an earlier TLS session with the same peer (a shorter handshake,
     * and the condition for 0-RTT).
     */
    default boolean resumed() {
        return false;
    }

    /**
     * Whether this connection went to work before its handshake completed, in 0-RTT: a dial that resumed a session
     * and whose ALPN is replay-safe (see {@link ProtocolHandler#replaySafe}) completes at once and its first streams
     * travel with the handshake; an accepted one is handed to its replay-safe handler with the peer's first flight.
     * Data sent in 0-RTT can be replayed by an attacker who recorded it, which is why only replay-safe protocols do.
     */
    default boolean earlyData() {
        return false;
    }

    /** Closes with an application error code and a reason, both visible to the peer. Idempotent. */
    void close(long code, String reason);

    /** Closes with code 0 and no reason. */
    @Override
    default void close() {
        close(0, "");
    }

    /** Completes when the connection has ended, with why. */
    CompletionStage<CloseInfo> closed();
}
