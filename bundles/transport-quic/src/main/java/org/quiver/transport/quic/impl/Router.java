package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.EndpointId;
import org.quiver.api.PathKind;

/**
 * The one route datagrams take in and out of the endpoint, whatever carries them: the UDP socket, the extra
 * sockets of birthday punching, or the relay link.
 *
 * <p>In ({@link #inbound}): classify by connection id ({@link ConnectionIds}); probes, calls and STUN answers go
 * to the {@link PathLayer}; QUIC packets go to the server-role or client-role codec with their sender rewritten to
 * the peer's mapped address, after the peer is found (by socket address, by relay id, by connection id for a NAT
 * rebinding, or made for a new sender's Initial); everything else is dropped and counted. No payload is copied.
 * Out ({@link #outbound}): QUIC's datagrams (on their peer's current path) and the path layer's (on the path it
 * probes) leave through the socket a punch found, the endpoint's socket, or the relay link, by the kind of
 * {@link PathAddr}.
 *
 * <p>Event loop only (the relay link's datagrams reach it through {@link RelayTransport}'s queue). Owned by the
 * endpoint; it has no thread or resource of its own.
 */
final class Router {
    /** What the router needs from the endpoint's links. */
    interface Links {
        /** The socket datagrams to {@code to} leave from: the endpoint's own, or the extra socket a punch found. */
        Channel socketFor(InetSocketAddress to);

        /** Sends through the relay link (false: dropped and counted); {@code datagram} is read during the call only. */
        boolean relaySend(EndpointId peer, java.nio.ByteBuffer datagram);

        /**
         * Sends a burst of datagrams of {@code segmentSize} bytes (the last perhaps shorter) through the relay link, as
         * one where the link can; read during the call only. By default datagram by datagram.
         */
        default boolean relaySend(EndpointId peer, java.nio.ByteBuffer datagrams, int segmentSize) {
            boolean all = true;
            for (int at = datagrams.position(); at < datagrams.limit(); at += segmentSize) {
                all &= relaySend(peer, datagrams.slice(at, Math.min(segmentSize, datagrams.limit() - at)));
            }
            return all;
        }
    }

    /** What the router asks of the endpoint when a peer's packet comes from an address the peer has not used. */
    interface Rebinding {
        /** QUIC packets accepted on the peer's connections so far (event loop; duplicates and forgeries are not). */
        long accepted(PathTable.Peer peer);

        /** QUIC accepted a new packet of the peer's from {@code from}: the peer is there now (event loop). */
        void rebound(PathTable.Peer peer, InetSocketAddress from);
    }

    private final PathTable paths;
    private final PathLayer pathLayer;
    private final VirtualChannel server;
    private final VirtualChannel client;
    private final Set<ByteBufKey> liveClientIds;
    private final Unconfirmed unconfirmed;
    private final Rebinding rebinding;
    private final LongAdder dropped;
    private final Metrics metrics;
    private final java.util.function.Consumer<Channel> arriving;
    /** Shown every client Initial to the server role: whom a resumed session's ticket names ({@link Acceptor#clientInitial}). */
    private final java.util.function.BiConsumer<PathTable.Peer, ByteBuf> resumingClient;
    /** Told the id of our dial a Retry answered, once the client role has taken it ({@link Dialer#retried}). */
    private final java.util.function.Consumer<ByteBufKey> retried;
    private Links links;
    private Channel mainSocket;
    /** How QUIC's bursts leave (null: QUIC sends no bursts, {@link Segments#of}). */
    private Segments segments;
    /** QUIC's bursts handed to a socket as one segmented send. */
    final LongAdder bursts = new LongAdder();
    /** QUIC's bursts cut here into datagrams (a socket that cannot take them whole, a refused send). */
    final LongAdder burstsCut = new LongAdder();
    /** QUIC's bursts handed to the relay link whole (it sends each as one frame where its relay takes them). */
    final LongAdder relayBursts = new LongAdder();
    private boolean serverRead;
    private boolean clientRead;
    /** The read batch under way (counted at each {@link #readComplete}). */
    private long batch;

    /**
     * {@code arriving} is told the extra punching socket a control datagram came in on while the path layer looks at
     * it (and null after), so that a peer that answers there gets its path through that socket.
     */
    Router(PathTable paths, PathLayer pathLayer, VirtualChannel server, VirtualChannel client, Set<ByteBufKey> liveClientIds,
           Unconfirmed unconfirmed, Rebinding rebinding, LongAdder dropped, Metrics metrics,
           java.util.function.Consumer<Channel> arriving, java.util.function.BiConsumer<PathTable.Peer, ByteBuf> resumingClient,
           java.util.function.Consumer<ByteBufKey> retried) {
        this.resumingClient = resumingClient;
        this.retried = retried;
        this.paths = paths;
        this.pathLayer = pathLayer;
        this.server = server;
        this.client = client;
        this.liveClientIds = liveClientIds;
        this.unconfirmed = unconfirmed;
        this.rebinding = rebinding;
        this.dropped = dropped;
        this.metrics = metrics;
        this.arriving = arriving;
    }

    /** Wires the links once they exist (the socket is bound with this router as its reader). */
    void links(Links links, Channel mainSocket, Segments segments) {
        this.links = links;
        this.mainSocket = mainSocket;
        this.segments = segments;
    }

    // ------------------------------------------------------------------ in

    /**
     * One datagram from {@code from}, which came in on {@code socket} (null: through the relay). Takes ownership
     * of {@code content}. The codecs that read it are flushed at {@link #readComplete}.
     */
    void inbound(PathAddr from, ByteBuf content, Channel socket) {
        metrics.get().bytesReceived(from.kind(), content.readableBytes());
        ConnectionIds.Route route = ConnectionIds.route(content,
                (buf, index) -> liveClientIds.contains(ByteBufKey.peek(buf, index, ConnectionIds.LENGTH)));
        if (route == ConnectionIds.Route.PROBE) {
            control(from, content, socket);
            return;
        }
        if (route == ConnectionIds.Route.INVALID) {
            drop(content, "unroutable");
            return;
        }
        boolean initial = route == ConnectionIds.Route.SERVER && ConnectionIds.isInitial(content);
        if (initial && content.readableBytes() < ConnectionIds.MIN_INITIAL_DATAGRAM) {
            // RFC 9000 14.1: never any work (nor a Retry, 3x the size of a 20-byte probe) for a short Initial
            drop(content, "short-initial");
            return;
        }
        PathTable.Peer peer;
        PathAddr key;
        if (from instanceof PathAddr.Direct d) {
            key = from;
            peer = paths.byReal(d.socket());
            if (peer == null) {
                PathTable.Peer rebound = paths.byConnectionId(content);
                if (rebound != null) {
                    rebind(rebound, content, route, d.socket());
                    return;
                }
                peer = initial ? paths.forNewSender(d.socket()) : null;
            }
        } else {
            EndpointId source = ((PathAddr.Relay) from).peer();
            peer = paths.byId(source);
            if (peer == null && initial) {
                peer = paths.forRelaySender(source);
            }
            key = peer == null ? null : peer.relay;
            if (key != null) {
                paths.learn(peer, key);
                pathLayer.relayHeard(peer);
                if (peer.real instanceof PathAddr.Direct) {
                    pathLayer.quicThroughRelay(peer, paths.now());
                }
            }
        }
        if (peer == null || key == null) {
            drop(content, "unroutable");
            return;
        }
        peer.touch();
        if (from instanceof PathAddr.Direct) {
            peer.quicUnansweredSinceNanos = 0; // heard from on a direct path: what we sent before is answered
            peer.quicHeardNanos = peer.lastActive;
        }
        if (initial && peer.users.get() == 0 && !key.equals(peer.real)) {
            // a new connection from a peer with none live: answer where it comes from, not where an earlier
            // (perhaps long gone) connection of it was
            paths.switchPath(peer, key);
        }
        deliver(peer, content, route);
    }

    /** A probe, a call or a STUN answer: small, never QUIC. */
    private void control(PathAddr from, ByteBuf content, Channel socket) {
        PathTable.Peer relayed = from instanceof PathAddr.Relay r ? paths.byId(r.peer()) : null;
        if (content.readableBytes() > PathLayer.MAX_CONTROL || (from instanceof PathAddr.Relay && relayed == null)) {
            pathLayer.probesReceived.increment();
            pathLayer.probesDropped.increment();
            metrics.get().datagramDropped("bad-probe");
            content.release();
            return;
        }
        byte[] bytes = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), bytes);
        content.release();
        long now = paths.now();
        if (relayed != null) {
            pathLayer.relayHeard(relayed);
            if (Probe.isCallMeMaybe(bytes)) {
                pathLayer.onControl(relayed.relay, bytes, now);
            } else {
                pathLayer.onProbe(relayed.relay, bytes, now); // never STUN: nobody asks through a relay
            }
            return;
        }
        boolean extra = socket != null && socket != mainSocket;
        if (extra) {
            arriving.accept(socket);
        }
        try {
            pathLayer.onControl(from, bytes, now);
        } finally {
            if (extra) {
                arriving.accept(null);
            }
        }
    }

    private void deliver(PathTable.Peer peer, ByteBuf content, ConnectionIds.Route route) {
        if (ConnectionIds.isInitial(content)) { // a handshake: which key exchange it chooses (KeyExchanges)
            if (route == ConnectionIds.Route.SERVER) {
                KeyExchanges.clientInitial(peer, content);
                resumingClient.accept(peer, content);
            } else {
                KeyExchanges.serverInitial(peer, content);
            }
        }
        DatagramPacket mapped = new DatagramPacket(content, PathTable.LOCAL, peer.mapped);
        boolean longHeader = (content.getUnsignedByte(content.readerIndex()) & 0x80) != 0;
        if (route == ConnectionIds.Route.SERVER && (ConnectionIds.isZeroRtt(content) || (!longHeader && peer.handshakeBatch == batch))) {
            // netty takes a handshake step that waited for a TLS callback (the server's certificate choice, the
            // check of the client's certificate) in a task it queues on the loop. quiche keeps a 0-RTT packet it
            // cannot open yet until the next packet comes, a round trip later, and drops a 1-RTT packet that came
            // before the client's Finished was taken (its keys come with it): the client resends it a probe timeout
            // later. Queued behind that task, the 0-RTT packets of this read, and the 1-RTT packets that follow a
            // handshake datagram of the same peer in it, are opened at once.
            server.eventLoop().execute(() -> {
                server.pipeline().fireChannelRead(mapped);
                server.pipeline().fireChannelReadComplete();
            });
            return;
        }
        if (route == ConnectionIds.Route.SERVER) {
            if (longHeader) {
                peer.handshakeBatch = batch;
            }
            serverRead = true;
            server.pipeline().fireChannelRead(mapped);
        } else {
            clientRead = true;
            QuicConnectionImpl confirmed = unconfirmed.confirmedBy(content);
            ByteBufKey retryOf = retryOf(content);
            client.pipeline().fireChannelRead(mapped);
            if (confirmed != null) {
                confirmed.confirmed();
            }
            if (retryOf != null) {
                retried.accept(retryOf);
            }
        }
    }

    /** The connection id of our dial a Retry packet answers (its Destination Connection ID), or null if it is none. */
    private static ByteBufKey retryOf(ByteBuf content) {
        int at = content.readerIndex();
        if (content.readableBytes() < 6 || (content.getByte(at) & 0xf0) != 0xf0) {
            return null;
        }
        int length = content.getByte(at + 5);
        return length == ConnectionIds.LENGTH && content.readableBytes() >= 6 + length ? ByteBufKey.peek(content, at + 6, length) : null;
    }

    /**
     * Fires a datagram to our dial {@code id} that quiche cannot open (a short header with the id, then zeros) into
     * the client role, as if from {@code from}: quiche drops it, and netty looks at the connection's state on the way
     * ({@link Dialer#sending}). Event loop.
     */
    void poke(ByteBufKey id, java.net.InetSocketAddress from) {
        ByteBuf nothing = client.alloc().buffer(1 + ConnectionIds.LENGTH + 32);
        nothing.writeByte(0x40);
        id.writeTo(nothing);
        nothing.writeZero(32);
        client.pipeline().fireChannelRead(new DatagramPacket(nothing, PathTable.LOCAL, from));
        client.pipeline().fireChannelReadComplete();
    }

    /** The end of a batch of reads (a socket's read-complete, a relay batch): quiche sends what it has now. */
    void readComplete() {
        batch++;
        if (serverRead) {
            serverRead = false;
            server.pipeline().fireChannelReadComplete();
        }
        if (clientRead) {
            clientRead = false;
            client.pipeline().fireChannelReadComplete();
        }
    }

    /**
     * A short-header packet for a connection of {@code peer}'s from an address the peer has not used: a NAT
     * rebinding (RFC 9000 9.3), or a forgery or replay. It goes to QUIC as the peer's; if QUIC accepts it as a new
     * authentic packet (it counts it), the peer's traffic moves to the new address at once and the path layer
     * probes it; otherwise nothing changes and it is counted as dropped.
     */
    private void rebind(PathTable.Peer peer, ByteBuf content, ConnectionIds.Route route, InetSocketAddress from) {
        long before = rebinding.accepted(peer);
        DatagramPacket mapped = new DatagramPacket(content, PathTable.LOCAL, peer.mapped);
        VirtualChannel codec = route == ConnectionIds.Route.SERVER ? server : client;
        codec.pipeline().fireChannelRead(mapped); // QUIC reads it now; what it answers goes out at read-complete
        if (rebinding.accepted(peer) > before) {
            peer.touch();
            peer.quicUnansweredSinceNanos = 0;
            peer.quicHeardNanos = peer.lastActive;
            rebinding.rebound(peer, from); // so the answer already goes to the new address
        } else {
            dropped.increment();
            metrics.get().datagramDropped("unvalidated-rebinding");
        }
        codec.pipeline().fireChannelReadComplete();
    }

    private void drop(ByteBuf content, String reason) {
        dropped.increment();
        metrics.get().datagramDropped(reason);
        content.release();
    }

    // ------------------------------------------------------------------ out

    /**
     * Sends {@code content} on path {@code to} ({@code peer}'s, when known): through the relay link, or from the
     * socket the path uses. {@code content} is one datagram, or a burst of datagrams of {@code segmentSize} bytes
     * each ({@code segmentSize} > 0, the last perhaps shorter; {@link Segments}). Takes ownership of {@code content}.
     * QUIC's datagrams ({@code quic}) are counted as sent and written without a flush (QUIC flushes at the end of its
     * burst, {@link #flush}); the path layer's are flushed at once. False when it was dropped (counted where it was).
     */
    boolean outbound(PathTable.Peer peer, PathAddr to, ByteBuf content, boolean quic, int segmentSize) {
        if (to == null || links == null) {
            drop(content, "no-path");
            return false;
        }
        int bytes = content.readableBytes();
        if (to instanceof PathAddr.Direct d) {
            Channel via = links.socketFor(d.socket());
            if (segmentSize > 0 && bytes > segmentSize) {
                burst(via, d.socket(), content, segmentSize);
            } else {
                direct(via, d.socket(), content, quic);
            }
            if (quic) {
                metrics.get().bytesSent(PathKind.DIRECT, bytes);
                if (peer != null && peer.quicUnansweredSinceNanos == 0) {
                    peer.quicUnansweredSinceNanos = paths.now();
                }
            }
            return true;
        }
        EndpointId relayPeer = ((PathAddr.Relay) to).peer();
        if (content.nioBufferCount() != 1) {
            // QUIC's burst in several parts: its nioBuffer() would merge them into a new heap buffer on every send
            // (garbage the size of the burst); a pooled direct buffer, freed on this thread below, holds them instead
            ByteBuf flat = content.alloc().directBuffer(bytes);
            try {
                flat.writeBytes(content, content.readerIndex(), bytes);
            } finally {
                content.release();
            }
            content = flat;
        }
        boolean[] sent = {true};
        if (segmentSize > 0 && bytes > segmentSize) { // the burst to the link as one: its relay may carry it in one frame
            relayBursts.increment();
            try {
                sent[0] = links.relaySend(relayPeer, content.nioBuffer(), segmentSize);
            } finally {
                content.release();
            }
        } else {
            try {
                sent[0] = links.relaySend(relayPeer, content.nioBuffer()); // the link copies it into its frame: the one copy
            } finally {
                content.release();
            }
        }
        if (sent[0] && quic) {
            metrics.get().bytesSent(PathKind.RELAY, bytes);
        }
        return sent[0];
    }

    /** Writes one datagram to {@code socket} from {@code via}, the socket its path uses. */
    private void direct(Channel via, InetSocketAddress socket, ByteBuf content, boolean quic) {
        DatagramPacket packet = new DatagramPacket(content, socket);
        if (quic && via == mainSocket) {
            via.write(packet);
        } else {
            via.writeAndFlush(packet); // a path punched from an extra socket, or a control datagram
        }
    }

    /**
     * Writes QUIC's burst of datagrams to {@code socket} from {@code via}: as one segmented send where the socket can
     * (a failure turns that off for good: the burst is lost, QUIC resends it), otherwise datagram by datagram.
     */
    private void burst(Channel via, InetSocketAddress socket, ByteBuf content, int segmentSize) {
        if (segments != null && segments.passes(via)) {
            ChannelFuture sent = via == mainSocket
                    ? via.write(new SegmentedDatagramPacket(content, segmentSize, socket))
                    : via.writeAndFlush(new SegmentedDatagramPacket(content, segmentSize, socket));
            bursts.increment();
            sent.addListener(f -> {
                if (!f.isSuccess() && !(f.cause() instanceof java.nio.channels.ClosedChannelException)) {
                    segments.refused();
                    metrics.get().datagramDropped("segmented-send-failed");
                }
            });
            return;
        }
        burstsCut.increment();
        Segments.cut(content, segmentSize, one -> direct(via, socket, one, true));
    }

    /** Flushes the endpoint's socket (the end of QUIC's burst). */
    void flush() {
        if (mainSocket != null) {
            mainSocket.flush();
        }
    }
}
