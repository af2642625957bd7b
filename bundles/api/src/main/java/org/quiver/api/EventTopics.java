package org.quiver.api;

/**
 * The OSGi EventAdmin topics a Quiver endpoint posts to (asynchronously), and their properties. Subscribe
 * with an {@code EventHandler} whose {@code event.topics} is, say, {@code org/quiver/*}. Ids are the
 * 52-character text form; every event carries {@link #ENDPOINT_ID}.
 */
public final class EventTopics {
    private EventTopics() {
    }

    /** A connection finished its handshake. Properties: endpoint.id, peer.id, alpn, dialer, path, path.kind. */
    public static final String CONNECTION_OPENED = "org/quiver/connection/OPENED";
    /** A connection closed. Properties: as OPENED, plus cause, code, reason. */
    public static final String CONNECTION_CLOSED = "org/quiver/connection/CLOSED";
    /** A peer's traffic moved to another path. Properties: endpoint.id, peer.id, path, path.kind, rtt.nanos (if measured). */
    public static final String PATH_CHANGED = "org/quiver/path/CHANGED";
    /** A message for {@link Endpoint#send} left the pending buffer unsent. Properties: endpoint.id, peer.id, alpn, reason, bytes. */
    public static final String BUFFER_DROPPED = "org/quiver/buffer/DROPPED";
    /** The endpoint's home relay changed ({@link #RELAY_URL}, absent when it has none now; {@link #PREVIOUS}). */
    public static final String RELAY_HOME_CHANGED = "org/quiver/relay/HOME_CHANGED";
    /**
     * The endpoint's network changed (its interface addresses): it probed every peer's paths at once, asked STUN again
     * and republished its address. Properties: {@link #ADDRESSES} now, {@link #PREVIOUS} before.
     */
    public static final String NETWORK_CHANGED = "org/quiver/endpoint/NETWORK_CHANGED";

    /** String: this endpoint's id. */
    public static final String ENDPOINT_ID = "endpoint.id";
    /** String: the remote endpoint's id. */
    public static final String PEER_ID = "peer.id";
    /** String: the connection's (or message's) protocol. */
    public static final String ALPN = "alpn";
    /** Boolean: whether this endpoint dialed. */
    public static final String DIALER = "dialer";
    /** String: the path's remote address ({@code 198.18.0.2:4433}) or relay URL. */
    public static final String PATH = "path";
    /** String: {@code DIRECT} or {@code RELAY}. */
    public static final String PATH_KIND = "path.kind";
    /** Long: the path's RTT estimate in nanoseconds. */
    public static final String RTT_NANOS = "rtt.nanos";
    /** String: a {@link CloseInfo.Cause} name. */
    public static final String CAUSE = "cause";
    /** Long: the close code. */
    public static final String CODE = "code";
    /** String: the close reason, or why a message was dropped ({@code OVERFLOW}, {@code EXPIRED}, {@code CLEARED}). */
    public static final String REASON = "reason";
    /** Long: the dropped message's size. */
    public static final String BYTES = "bytes";
    /** A relay URL ({@code ws://host:port/relay}). */
    public static final String RELAY_URL = "relay.url";
    /** The value before the change. */
    public static final String PREVIOUS = "previous";
    /** String: socket addresses, comma-separated. */
    public static final String ADDRESSES = "addresses";
}
