package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dialed connections whose handshake is complete but not yet confirmed (RFC 9001 4.1.2: a client's handshake
 * is confirmed when HANDSHAKE_DONE arrives), by their client-role connection id.
 *
 * <p>Why it matters: quiche wedges when a client closes with an application error while it still holds
 * Handshake keys and a Handshake-space loss probe is due. It picks the Handshake space, where an application
 * close frame may not go, so each packet carries neither the close nor a PING, the probe never counts as sent,
 * and {@code quiche_conn_send} returns packet after packet: netty's close loops on the event loop for good,
 * every other connection and dial on that endpoint stops, and the peer is flooded (seen under connection
 * churn: a dial, a stream, a close, repeated; about one cycle in 300 under load). So a dialed connection
 * defers an application close until it is confirmed ({@link QuicConnectionImpl#confirmed}).
 *
 * <p>A server sends its first 1-RTT (short header) packet only once its handshake is complete, and that packet
 * carries HANDSHAKE_DONE; the first short-header packet that reaches a dialed connection (alone, or coalesced
 * behind long-header ones in one datagram) is taken as its confirmation. Written on the dialing thread and the event loop, read on the event loop (the router, for
 * every datagram to the client codec: an emptiness check when no dial is pending). Entries leave when
 * confirmed or when the connection closes.
 */
final class Unconfirmed {
    /** A dial whose connection object does not exist yet (netty completes the dial later than quiche). */
    private static final Object DIALING = new Object();
    /** A dial confirmed before its connection object existed. */
    private static final Object CONFIRMED = new Object();
    /** Client-role id: DIALING, CONFIRMED or the {@link QuicConnectionImpl}. */
    private final Map<ByteBufKey, Object> byId = new ConcurrentHashMap<>();

    /** A dial with client-role id {@code id} begins (any thread, before its first packet goes out). */
    void dialing(ByteBufKey id) {
        byId.put(id, DIALING);
    }

    /**
     * Event loop: the dial's connection exists; tells it {@link QuicConnectionImpl#confirmed} at once when the
     * server's confirmation came first (it often does: netty completes a dial after the first 1-RTT packets).
     */
    void connected(ByteBufKey id, QuicConnectionImpl connection) {
        if (byId.put(id, connection) == CONFIRMED) {
            byId.remove(id);
            connection.confirmed();
        }
    }

    /** The dial or its connection ended. */
    void remove(ByteBufKey id) {
        byId.remove(id);
    }

    /**
     * Event loop, before the datagram in {@code content} goes to the client codec: the connection it confirms
     * (now forgotten here), or null. Tell it {@link QuicConnectionImpl#confirmed} once the codec has the packet.
     */
    QuicConnectionImpl confirmedBy(ByteBuf content) {
        if (byId.isEmpty()) {
            return null;
        }
        int at = ConnectionIds.shortHeaderAt(content); // HANDSHAKE_DONE often comes coalesced behind a Handshake ACK
        if (at < 0) {
            return null;
        }
        ByteBufKey id = ByteBufKey.peek(content, at + 1, ConnectionIds.LENGTH);
        Object state = byId.get(id);
        if (state instanceof QuicConnectionImpl) {
            byId.remove(id);
            return (QuicConnectionImpl) state;
        }
        if (state == DIALING) {
            byId.put(id, CONFIRMED);
        }
        return null;
    }

    int size() {
        return byId.size();
    }
}
