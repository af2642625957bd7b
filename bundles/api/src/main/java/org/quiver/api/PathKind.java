package org.quiver.api;

/** How a path carries a peer's packets. */
public enum PathKind {
    /** Straight over UDP to the peer's socket address (possibly through NATs). */
    DIRECT,
    /** Through a relay server, over TCP. */
    RELAY
}
