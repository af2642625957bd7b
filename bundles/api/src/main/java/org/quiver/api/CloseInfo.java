package org.quiver.api;

import java.util.Objects;

/**
 * Why a connection ended.
 *
 * @param cause    who or what closed it
 * @param code     the application (or transport) error code; 0 for a normal close
 * @param reason   the reason text sent with the close, possibly empty
 */
public record CloseInfo(Cause cause, long code, String reason) {
    /** Who or what closed a connection. */
    public enum Cause {
        /** This side's application called close. */
        LOCAL,
        /** The peer's application closed it. */
        PEER,
        /** The QUIC transport closed it (protocol error, TLS failure). */
        TRANSPORT,
        /** No packet arrived for the idle timeout. */
        IDLE_TIMEOUT,
        /** The local endpoint shut down. */
        ENDPOINT_CLOSED
    }

    public CloseInfo {
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(reason, "reason");
    }
}
