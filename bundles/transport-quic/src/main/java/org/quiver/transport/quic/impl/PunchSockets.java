package org.quiver.transport.quic.impl;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Birthday punching, the hard side's part: extra UDP sockets, each with its own mapping on our NAT, that ping
 * the peer's guessed addresses; a socket the peer's probe reaches becomes that path's socket, the others close.
 *
 * <p>Event loop only, except {@link #socketFor}, which the loop and the sender read. Each extra socket reads
 * through a {@link SocketReader} into the one {@link Router}. Sockets no path uses close
 * {@link #FAN_TTL_NANOS} after they opened ({@link #sweep}, by the endpoint's sweep and their own timer); the
 * endpoint's close closes them all.
 */
final class PunchSockets {
    /** Extra sockets are closed this long after they were opened unless a peer's path runs through them. */
    static final long FAN_TTL_NANOS = TimeUnit.SECONDS.toNanos(15);
    /** When (after opening) the extra sockets ping again: the other side's spray may come later than ours. */
    private static final long[] REPINGS_MILLIS = {500, 1000, 2000, 4000};

    private final EventLoop loop;
    private final PathTable paths;
    private final PathLayer pathLayer;
    private final java.util.function.BooleanSupplier closing;
    private Channel main;
    private Router router;
    private Metrics metrics;
    private LongAdder dropped;
    /** Remote addresses whose path runs through an extra socket (loop writes; the loop and the sender read). */
    private final Map<InetSocketAddress, Channel> routes = new ConcurrentHashMap<>();
    /** The extra sockets open, with when they were opened (loop only). */
    private final Map<Channel, Long> sockets = new java.util.LinkedHashMap<>();
    /** The extra socket a control datagram is arriving on, while the path layer looks at it (loop only). */
    private Channel arrival;
    /** Who sent that datagram, once its probe was authenticated (loop only): answers to it leave from {@link #arrival}. */
    private InetSocketAddress arrivalFrom;
    /** Paths that came to run through an extra socket. */
    final LongAdder routesMade = new LongAdder();

    PunchSockets(EventLoop loop, PathTable paths, PathLayer pathLayer, java.util.function.BooleanSupplier closing) {
        this.loop = loop;
        this.paths = paths;
        this.pathLayer = pathLayer;
        this.closing = closing;
    }

    /** Wires the endpoint's socket and the router the extra sockets read into. */
    void wire(Channel main, Router router, Metrics metrics, LongAdder dropped) {
        this.main = main;
        this.router = router;
        this.metrics = metrics;
        this.dropped = dropped;
    }

    /**
     * The socket datagrams to {@code to} leave from: the endpoint's own, or the extra socket a punch found. The answer
     * to a probe arriving on an extra socket leaves from that socket (when a spray hits several of them, each has its
     * own mapping on our NAT, and a pong from another one would not match the ping it answers).
     */
    Channel socketFor(InetSocketAddress to) {
        Channel a = arrival;
        if (a != null && to.equals(arrivalFrom) && a.eventLoop().inEventLoop()) {
            return a;
        }
        if (routes.isEmpty()) {
            return main;
        }
        Channel ch = routes.get(to);
        return ch == null || !ch.isActive() ? main : ch;
    }

    /** The router's note of the extra socket a control datagram arrives on (null: done). */
    void arriving(Channel ch) {
        arrival = ch;
        arrivalFrom = null;
    }

    /** A peer's probe at {@code from} was authenticated: if it came in on an extra socket, its path goes through it. */
    void authenticated(InetSocketAddress from) {
        Channel ch = arrival;
        if (ch != null) {
            arrivalFrom = from;
            if (routes.putIfAbsent(from, ch) == null) {
                routesMade.increment();
            }
        }
    }

    /**
     * Opens up to {@link HolePunching#FAN_SOCKETS} extra sockets (fewer if some are still open) and pings
     * {@code targets} from each, again after 0.5, 1, 2 and 4 s.
     */
    void open(PathTable.Peer peer, List<InetSocketAddress> targets) {
        if (closing.getAsBoolean()) {
            return;
        }
        InetSocketAddress local = (InetSocketAddress) main.localAddress();
        Bootstrap b = new Bootstrap().group(loop)
                .channel(Epoll.isAvailable() ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .handler(new SocketReader(router, metrics, dropped));
        long now = paths.now();
        for (int i = sockets.size(); i < HolePunching.FAN_SOCKETS; i++) {
            io.netty.channel.ChannelFuture f = b.bind(new InetSocketAddress(local.getAddress(), 0));
            sockets.put(f.channel(), now);
            f.addListener(done -> {
                if (done.isSuccess()) {
                    ping(f.channel(), peer, targets);
                } else {
                    sockets.remove(f.channel()); // out of ports or descriptors: fewer sockets, that is all
                }
            });
        }
        for (long ms : REPINGS_MILLIS) {
            loop.schedule(() -> {
                if (peer.candidates != null && !closing.getAsBoolean()) {
                    for (Channel ch : sockets.keySet()) {
                        ping(ch, peer, targets);
                    }
                }
            }, ms, TimeUnit.MILLISECONDS);
        }
        loop.schedule(() -> sweep(paths.now()), FAN_TTL_NANOS + TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.NANOSECONDS);
    }

    private void ping(Channel ch, PathTable.Peer peer, List<InetSocketAddress> targets) {
        if (!ch.isActive() || peer.id == null) {
            return;
        }
        for (InetSocketAddress t : targets) {
            ch.writeAndFlush(new DatagramPacket(io.netty.buffer.Unpooled.wrappedBuffer(pathLayer.untrackedPing(peer, t)), t));
        }
    }

    /** Forgets routes of peers gone, closes extra sockets no route uses once their time is up (all, when closing). */
    void sweep(long now) {
        routes.entrySet().removeIf(e -> paths.byReal(e.getKey()) == null || !e.getValue().isActive());
        for (java.util.Iterator<Map.Entry<Channel, Long>> it = sockets.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Channel, Long> e = it.next();
            boolean used = routes.containsValue(e.getKey());
            if (!used && (now - e.getValue() >= FAN_TTL_NANOS || closing.getAsBoolean())) {
                e.getKey().close();
                it.remove();
            }
        }
    }
}
