package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A socket-less datagram channel that holds one QUIC codec (server or client role). It shares the real UDP
 * socket: the {@link Router} fires inbound datagrams into it (sender rewritten to a mapped address), and
 * what the codec writes goes out through {@link Sender}, which puts it on the peer's current real path.
 *
 * <p>Registered on the same event loop as the real socket (any other loop is refused), so everything here
 * runs on that one thread. Closed by the endpoint that created it.
 */
final class VirtualChannel extends AbstractChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    /**
     * Sends one datagram addressed to a mapped address on its real path, or a burst of datagrams of {@code
     * segmentSize} bytes each (the last perhaps shorter; 0: one datagram), see {@link Segments}; owns {@code content}.
     */
    interface Sender {
        void send(InetSocketAddress mapped, ByteBuf content, int segmentSize);

        void flush();
    }

    private final DefaultChannelConfig config = new DefaultChannelConfig(this);
    private final EventLoop loop;
    private final Sender sender;
    private volatile boolean open = true;
    /** Datagrams the sender threw on (a bug): dropped, the channel stays open. */
    final java.util.concurrent.atomic.LongAdder sendFailures = new java.util.concurrent.atomic.LongAdder();

    VirtualChannel(EventLoop loop, Sender sender) {
        super(null);
        this.loop = loop;
        this.sender = sender;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
                promise.setFailure(new UnsupportedOperationException("a virtual QUIC socket does not connect"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop eventLoop) {
        return eventLoop == loop;
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        promise.setSuccess();
    }

    @Override
    protected SocketAddress localAddress0() {
        return PathTable.LOCAL;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        // bound by construction
    }

    @Override
    protected void doDisconnect() {
        // nothing to disconnect
    }

    @Override
    protected void doClose() {
        open = false;
    }

    @Override
    protected void doBeginRead() {
        // datagrams are pushed in by the router
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        boolean wrote = false;
        while (true) {
            Object msg = in.current();
            if (msg == null) {
                break;
            }
            DatagramPacket packet = (DatagramPacket) msg; // filterOutboundMessage let nothing else in
            int segmentSize = packet instanceof io.netty.channel.unix.SegmentedDatagramPacket burst ? burst.segmentSize() : 0;
            try {
                sender.send(packet.recipient(), packet.content().retain(), segmentSize);
            } catch (RuntimeException bug) {
                // never out of here: netty would shut this channel's output, and with it the codec of a whole role
                // (every later handshake ignored); the datagram is lost, which QUIC recovers
                sendFailures.increment();
            }
            wrote = true;
            in.remove();
        }
        if (wrote) {
            sender.flush();
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof DatagramPacket) {
            return msg;
        }
        throw new UnsupportedOperationException("only DatagramPacket can be written to a virtual QUIC socket");
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public Channel parent() {
        return null;
    }
}
