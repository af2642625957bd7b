package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import java.net.InetSocketAddress;

/**
 * UDP segmentation offload (GSO) for what QUIC sends: owns whether the endpoint's codecs hand a burst of
 * equal-size datagrams to one peer as one segmented datagram, and how such a burst leaves on each kind of link.
 * On an epoll socket it is one {@code sendmsg} with {@code UDP_SEGMENT} (the kernel cuts it, also on loopback and
 * veth, where a receiver with {@code UDP_GRO} gets it back whole); anywhere else (the relay link, a NIO socket, a
 * kernel that refused a segmented send once) it is cut here into its datagrams, slices of the one buffer.
 *
 * <p>The allocator is called by the codecs on the event loop; {@link #refused} is set there (a failed segmented
 * send) and read there. No thread, nothing to stop.
 */
final class Segments implements SegmentedDatagramPacketAllocator {
    /**
     * At most this many datagrams per segmented send: 44 of 1472 bytes are the most one 64 KiB UDP send can carry.
     * Measured with {@code benchmarks/throughput.sh} (see the endpoint builder's {@code segments}).
     */
    static final int MAX = 44;

    private final int segments;
    /** A segmented send failed (a kernel or device without UDP_SEGMENT for some route): every burst is cut here from now on. */
    private boolean refused;

    private Segments(int segments) {
        this.segments = segments;
    }

    /**
     * The allocator for at most {@code segments} datagrams per send, or null when segmentation is off ({@code
     * segments < 2}) or this machine cannot do it (no epoll, or a kernel without {@code UDP_SEGMENT}).
     */
    static Segments of(int segments) {
        if (segments < 2 || !supported()) {
            return null;
        }
        return new Segments(Math.min(segments, MAX));
    }

    /** Whether this machine sends segmented datagrams: epoll and a kernel with {@code UDP_SEGMENT}. */
    static boolean supported() {
        return Epoll.isAvailable() && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    @Override
    public int maxNumSegments() {
        return segments;
    }

    @Override
    public DatagramPacket newPacket(ByteBuf buffer, int segmentSize, InetSocketAddress remoteAddress) {
        return new SegmentedDatagramPacket(buffer, segmentSize, remoteAddress);
    }

    /** Whether a burst can leave through {@code socket} as it is. */
    boolean passes(Channel socket) {
        return !refused && socket instanceof EpollDatagramChannel;
    }

    /** A segmented send failed: from now on bursts are cut here (QUIC resends what was lost). Event loop. */
    void refused() {
        refused = true;
    }

    /** Whether the sends are cut here since a segmented send failed. */
    boolean isRefused() {
        return refused;
    }

    /**
     * Hands each datagram of the burst {@code content} (datagrams of {@code segmentSize} bytes, the last one perhaps
     * shorter) to {@code each} as a retained slice; releases {@code content}.
     */
    static void cut(ByteBuf content, int segmentSize, java.util.function.Consumer<ByteBuf> each) {
        try {
            int at = content.readerIndex();
            int end = content.writerIndex();
            while (at < end) {
                int length = Math.min(segmentSize, end - at);
                each.accept(content.retainedSlice(at, length));
                at += length;
            }
        } finally {
            content.release();
        }
    }
}
