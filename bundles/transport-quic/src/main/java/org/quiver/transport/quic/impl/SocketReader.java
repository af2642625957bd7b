package org.quiver.transport.quic.impl;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;

/**
 * The only handler on a UDP socket (the endpoint's, or an extra socket of birthday punching): hands every
 * datagram to the {@link Router} as a {@link PathAddr.Direct} and tells it when a batch of reads ends.
 *
 * <p>The socket's event loop only; no state of its own, so one instance serves every socket (birthday punching
 * opens 256 at once).
 */
@io.netty.channel.ChannelHandler.Sharable
final class SocketReader extends ChannelInboundHandlerAdapter {
    private final Router router;
    private final Metrics metrics;
    private final java.util.concurrent.atomic.LongAdder dropped;

    SocketReader(Router router, Metrics metrics, java.util.concurrent.atomic.LongAdder dropped) {
        this.router = router;
        this.metrics = metrics;
        this.dropped = dropped;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        router.inbound(new PathAddr.Direct(packet.sender()), packet.content(), ctx.channel());
    }

    /** quiche sends what it has to on read-complete: without this no handshake completes. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        router.readComplete();
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
}
