package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The only handler on the real UDP socket: routes each datagram to the server-role or client-role QUIC
 * codec by connection id (see {@link ConnectionIds}), with its sender rewritten to the peer's mapped
 * address, hands probes, calls and STUN answers to the {@link PathLayer}, or drops and counts it. No payload is copied: the same buffer is handed on.
 *
 * <p>Runs on the socket's event loop only.
 */
final class UdpRouter extends ChannelInboundHandlerAdapter {
    private final PathTable paths;
    private final VirtualChannel server;
    private final VirtualChannel client;
    private final Set<ByteBufKey> liveClientIds;
    private final Unconfirmed unconfirmed;
    private final Rebinding rebinding;

    /** What the router asks of the endpoint when a peer's packet comes from an address the peer has not used. */
    interface Rebinding {
        /** QUIC packets accepted on the peer's connections so far (event loop; duplicates and forgeries are not). */
        long accepted(PathTable.Peer peer);

        /** QUIC accepted a new packet of the peer's from {@code from}: the peer is there now (event loop). */
        void rebound(PathTable.Peer peer, java.net.InetSocketAddress from);
    }
    private final LongAdder dropped;
    private final PathLayer probes;
    private final Metrics metrics;
    private final java.util.function.Consumer<io.netty.channel.Channel> arriving;
    private boolean serverRead;
    private boolean clientRead;

    UdpRouter(PathTable paths, PathLayer probes, VirtualChannel server, VirtualChannel client, Set<ByteBufKey> liveClientIds,
              Unconfirmed unconfirmed, Rebinding rebinding, LongAdder dropped, Metrics metrics) {
        this(paths, probes, server, client, liveClientIds, unconfirmed, rebinding, dropped, metrics, null);
    }

    /**
     * A router for an extra socket of birthday punching: {@code arriving} is told the socket a control datagram
     * came in on before the path layer sees it, and null after.
     */
    UdpRouter(PathTable paths, PathLayer probes, VirtualChannel server, VirtualChannel client, Set<ByteBufKey> liveClientIds,
              Unconfirmed unconfirmed, Rebinding rebinding, LongAdder dropped, Metrics metrics,
              java.util.function.Consumer<io.netty.channel.Channel> arriving) {
        this.unconfirmed = unconfirmed;
        this.rebinding = rebinding;
        this.arriving = arriving;
        this.probes = probes;
        this.metrics = metrics;
        this.paths = paths;
        this.server = server;
        this.client = client;
        this.liveClientIds = liveClientIds;
        this.dropped = dropped;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        if (PathTable.isRelay(packet.sender())) {
            drop(packet); // a relay path's key is never a real sender: spoofed
            return;
        }
        ByteBuf content = packet.content();
        metrics.get().bytesReceived(org.quiver.api.PathKind.DIRECT, content.readableBytes());
        ConnectionIds.Route route = ConnectionIds.route(content,
                (buf, index) -> liveClientIds.contains(ByteBufKey.peek(buf, index, ConnectionIds.LENGTH)));
        if (route == ConnectionIds.Route.PROBE) {
            // a probe, a STUN answer, or a call: small, never QUIC
            if (content.readableBytes() > PathLayer.MAX_CONTROL) {
                probes.probesReceived.increment();
                probes.probesDropped.increment();
                metrics.get().datagramDropped("bad-probe");
                packet.release();
                return;
            }
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            packet.release();
            if (arriving == null) {
                probes.onControl(packet.sender(), bytes, paths.now());
                return;
            }
            arriving.accept(ctx.channel());
            try {
                probes.onControl(packet.sender(), bytes, paths.now());
            } finally {
                arriving.accept(null);
            }
            return;
        }
        if (route == ConnectionIds.Route.INVALID) {
            drop(packet);
            return;
        }
        if (route == ConnectionIds.Route.SERVER && ConnectionIds.isInitial(content)
                && content.readableBytes() < ConnectionIds.MIN_INITIAL_DATAGRAM) {
            // RFC 9000 14.1: never any work (nor a Retry, 3x the size of a 20-byte probe) for a short Initial
            dropped.increment();
            metrics.get().datagramDropped("short-initial");
            packet.release();
            return;
        }
        PathTable.Peer peer = paths.byReal(packet.sender());
        if (peer == null) {
            PathTable.Peer rebound = paths.byConnectionId(content);
            if (rebound != null) {
                rebind(rebound, packet, route);
                return;
            }
            if (route != ConnectionIds.Route.SERVER || !ConnectionIds.isInitial(content)
                    || (peer = paths.forNewSender(packet.sender())) == null) {
                drop(packet);
                return;
            }
        }
        peer.touch();
        if (route == ConnectionIds.Route.SERVER && peer.users.get() == 0 && !packet.sender().equals(peer.real)
                && ConnectionIds.isInitial(content)) {
            // a new connection from a peer with none live: answer where it comes from, not where an earlier
            // (perhaps long gone) connection of it was
            paths.switchPath(peer, packet.sender());
        }
        DatagramPacket mapped = new DatagramPacket(content, PathTable.LOCAL, peer.mapped);
        if (route == ConnectionIds.Route.SERVER) {
            serverRead = true;
            server.pipeline().fireChannelRead(mapped);
        } else {
            clientRead = true;
            QuicConnectionImpl confirmed = unconfirmed.confirmedBy(content);
            client.pipeline().fireChannelRead(mapped);
            if (confirmed != null) {
                confirmed.confirmed();
            }
        }
    }

    /**
     * A read on the socket failed: the socket was closed under it (the endpoint closing: nothing to say), or the
     * kernel reported an error for a datagram (counted). Never passed on: netty would log it as unhandled.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.nio.channels.ClosedChannelException)) {
            metrics.get().datagramDropped("socket-error");
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // quiche flushes what it has to send on read-complete: without this no handshake completes
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
    private void rebind(PathTable.Peer peer, DatagramPacket packet, ConnectionIds.Route route) {
        long before = rebinding.accepted(peer);
        DatagramPacket mapped = new DatagramPacket(packet.content(), PathTable.LOCAL, peer.mapped);
        VirtualChannel codec = route == ConnectionIds.Route.SERVER ? server : client;
        codec.pipeline().fireChannelRead(mapped); // QUIC reads it now; what it answers goes out at read-complete
        if (rebinding.accepted(peer) > before) {
            peer.touch();
            rebinding.rebound(peer, packet.sender()); // so the answer already goes to the new address
        } else {
            dropped.increment();
            metrics.get().datagramDropped("unvalidated-rebinding");
        }
        codec.pipeline().fireChannelReadComplete();
    }

    private void drop(DatagramPacket packet) {
        dropped.increment();
        metrics.get().datagramDropped("unroutable");
        packet.release();
    }
}
