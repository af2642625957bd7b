package org.quiver.api;

/** Where a candidate path stands, as probes have found it. */
public enum PathState {
    /** Known (from a ticket, discovery or a peer's probe) but not probed yet. */
    UNKNOWN,
    /** Probed; no answer yet. */
    VALIDATING,
    /** Answered a recent probe; has an RTT estimate. */
    VALID,
    /** Worked before, but stopped answering. Still probed, slowly, in case it comes back. */
    INACTIVE,
    /** Never answered. Probed slowly; pruned first. */
    UNUSABLE,
    /** Works, but is redundant (not the selected path nor its backup): no longer probed. */
    CLOSED
}
