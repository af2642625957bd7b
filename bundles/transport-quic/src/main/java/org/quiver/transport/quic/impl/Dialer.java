package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.SslEarlyDataReadyEvent;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.QuiverException;

/**
 * The dialing side of the endpoint: picks the path a dial starts on (a direct address this socket can use, or the
 * relay the peer names or ours), opens the connection on the client-role QUIC codec with TLS pinned to the peer's
 * id, and keeps the connection ids of our dials, by which the {@link Router} tells a packet for the client role.
 *
 * <p>Threads: {@link #dial} from any thread; the connection completes on the event loop. Owns no thread; the
 * codec closes with the endpoint's loop.
 */
final class Dialer {
    static final AttributeKey<EndpointId> EXPECTED_ID = AttributeKey.valueOf("quiver.expectedId");
    static final AttributeKey<String> DIAL_ALPN = AttributeKey.valueOf("quiver.dialAlpn");
    /** Whether a dial's TLS allows 0-RTT: decided once per dial, when it begins ({@link Dialing}). */
    static final AttributeKey<Boolean> EARLY_TLS = AttributeKey.valueOf("quiver.earlyTls");

    private final LocalIdentity identity;
    private final PathTable paths;
    private final PathLayer pathLayer;
    private final EndpointThreads threads;
    private final Connections connections;
    private final LongAdder dropped;
    /** Connection ids of our dials that are live: how the router tells a long-header packet for the client role. */
    final Set<ByteBufKey> liveClientIds = ConcurrentHashMap.newKeySet();
    /** Dialed connections not yet confirmed by the server: they defer an application close (see {@link Unconfirmed}). */
    final Unconfirmed unconfirmed = new Unconfirmed();
    private final Map<String, QuicSslContext> clientContexts = new ConcurrentHashMap<>();
    private VirtualChannel clientSide;
    /** How the client role sends bursts (null: one datagram at a time), set with the codec. */
    private Segments segments;
    /** The TLS key-exchange groups offered, most preferred first. */
    private final String[] groups;
    /** The sessions kept to resume (per ALPN, keyed by the peer id dialed). */
    private final Tls.Resumption resumption;
    /** How old each cached session is by the endpoint's clock. */
    private final SessionAges ages;
    /** Dials whose handshake is under way, by their connection id (see {@link #sending}). Event loop. */
    private final Map<ByteBufKey, Dialing> handshaking = new java.util.HashMap<>();
    /** Fires an undecryptable datagram to a dial's connection id into the client role (the router's). */
    private java.util.function.BiConsumer<ByteBufKey, InetSocketAddress> poke = (id, from) -> { };
    /** Dials that may go to work in 0-RTT and wait for the server's Retry first (see {@link Dialing}). Event loop. */
    private final Map<ByteBufKey, Dialing> awaitingRetry = new java.util.HashMap<>();
    /** Whether an ALPN is replay-safe here: a resumed dial of it completes in 0-RTT. */
    private final java.util.function.Predicate<String> replaySafe;

    Dialer(LocalIdentity identity, PathTable paths, PathLayer pathLayer, EndpointThreads threads, Connections connections, LongAdder dropped,
           String[] groups, Tls.Resumption resumption, java.util.function.LongSupplier ticker,
           java.util.function.Predicate<String> replaySafe) {
        this.replaySafe = replaySafe;
        this.groups = groups.clone();
        this.resumption = resumption;
        this.ages = new SessionAges(resumption, ticker);
        this.identity = identity;
        this.paths = paths;
        this.pathLayer = pathLayer;
        this.threads = threads;
        this.connections = connections;
        this.dropped = dropped;
    }

    /** The client-role codec, with the transport parameters both roles share ({@code parameters}), on {@code side}. */
    ChannelHandler codec(VirtualChannel side, java.util.function.UnaryOperator<QuicClientCodecBuilder> parameters, Segments segments) {
        this.clientSide = side;
        this.segments = segments;
        QuicClientCodecBuilder builder = new QuicClientCodecBuilder()
                .sslEngineProvider(ch -> clientTls(ch.attr(DIAL_ALPN).get(), Boolean.TRUE.equals(ch.attr(EARLY_TLS).get()))
                        .newEngine(ch.alloc(), ch.attr(EXPECTED_ID).get().toString(),
                                ages.portFor(ch.attr(DIAL_ALPN).get(), ch.attr(EXPECTED_ID).get())))
                .localConnectionIdLength(ConnectionIds.LENGTH);
        return parameters.apply(builder).build();
    }

    /**
     * The client role is sending {@code datagram} (event loop). When it carries a dial's Handshake flight (its
     * Finished) while the dial waits to be told its handshake is done, netty is poked once that flight is out.
     * netty checks whether a handshake is done only when a packet arrives: after a TLS step that ran as a task (our
     * certificate's signature, in every full handshake) the client's Finished goes out from a send, and the dial
     * would complete only with the server's next packet, a round trip later. An undecryptable datagram to the
     * connection's own id is read as nothing by quiche, but makes netty look ({@link #poke}).
     */
    void sending(ByteBuf datagram) {
        if (handshaking.isEmpty() || (datagram.getUnsignedByte(datagram.readerIndex()) & 0x80) == 0) {
            return;
        }
        ByteBufKey id = ConnectionIds.handshakeSourceId(datagram);
        Dialing dialing = id == null ? null : handshaking.get(id);
        if (dialing != null && !dialing.pokeQueued) {
            dialing.pokeQueued = true; // one at a time: the flight may leave in two sends, with a signature between
            threads.loop.execute(() -> {
                dialing.pokeQueued = false;
                if (!dialing.result.isDone() && dialing.channel.isOpen()) {
                    poke.accept(id, dialing.peer.mapped);
                }
            });
        }
    }

    /** A Retry answered our dial {@code id} and the client role has taken it (the router's, event loop). */
    void retried(ByteBufKey id) {
        Dialing dialing = awaitingRetry.remove(id);
        if (dialing != null) {
            dialing.retried();
        }
    }

    /**
     * The client TLS for dials of {@code alpn}: with early data ({@code early}) for a replay-safe one only. (With early data on for
     * every ALPN, netty's send loop spun on a connection closed after a resumed handshake that sent nothing early:
     * {@code ChurnTest} wedged the endpoint within a few hundred cycles.)
     */
    private QuicSslContext clientTls(String alpn, boolean early) {
        return clientContexts.computeIfAbsent(early ? alpn + " 0-RTT" : alpn, k -> Tls.client(identity, groups, resumption, early, alpn));
    }

    /** Wires how a dial's channel is poked (see {@link #sending}). */
    void poke(java.util.function.BiConsumer<ByteBufKey, InetSocketAddress> poke) {
        this.poke = poke;
    }

    /** A direct address of {@code target} this socket can send to, or null. */
    InetSocketAddress pickDirect(EndpointAddr target) {
        for (InetSocketAddress a : target.directAddresses()) {
            if (pathLayer.reachable(a)) {
                return a;
            }
        }
        return null;
    }

    /** Dials {@code target} (not ourselves; the endpoint checked) for {@code alpn}, through {@code relays} if need be. */
    CompletionStage<Connection> dial(EndpointAddr target, String alpn, RelayTransport relays) {
        InetSocketAddress direct = pickDirect(target);
        boolean linked = relays.attached();
        java.net.URI home = relays.home();
        boolean relayPossible = linked && (target.relayUrl().isPresent() || home != null);
        if (direct == null && !relayPossible) {
            return CompletableFuture.failedFuture(new QuiverException("No direct address of " + target.id().shortString()
                    + " that this endpoint can reach, and " + (!linked ? "no relay provider" : "no relay connected")
                    + ": " + target.directAddresses()));
        }
        // a peer that names a relay is dialed through it (that works behind any NAT); its direct addresses are
        // probed at once and the connection moves to one as soon as it answers; the handshake moves too when the
        // relay is not connected (down or restarting: it does not hold the dial up)
        boolean viaRelay = relayPossible && (direct == null || target.relayUrl().isPresent());
        PathTable.Peer peer = paths.forDial(target.id(), viaRelay ? null : direct);
        if (target.relayUrl().isPresent()) {
            peer.relayUrl = target.relayUrl().get();
        } else if (viaRelay && peer.relayUrl == null) {
            peer.dialedVia = home; // by id alone: through our home relay (wherever it is then), where we hope the peer is too
        }
        PathAddr real = viaRelay ? peer.relay : new PathAddr.Direct(direct);
        List<InetSocketAddress> published = target.directAddresses();
        threads.onLoop(() -> pathLayer.dialing(peer, published, real, relayPossible));
        byte[] cid = ConnectionIds.newClientId();
        ByteBufKey key = new ByteBufKey(cid);
        liveClientIds.add(key);
        unconfirmed.dialing(key);
        CompletableFuture<Connection> result = new CompletableFuture<>();
        Dialing dialing = new Dialing(target.id(), alpn, peer, real, key, result);
        io.netty.handler.codec.quic.QuicChannelBootstrap bootstrap = QuicChannel.newBootstrap(clientSide);
        if (segments != null) {
            bootstrap.option(io.netty.handler.codec.quic.QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, segments);
        }
        bootstrap
                .attr(EXPECTED_ID, target.id())
                .attr(DIAL_ALPN, alpn)
                .attr(EARLY_TLS, dialing.earlyTls)
                .handler(dialing)
                .streamOption(ChannelOption.AUTO_READ, false)
                .streamHandler(new Acceptor.IncomingStreams(null))
                .remoteAddress(peer.mapped)
                .localConnectionAddress(new QuicConnectionAddress(cid))
                .connect()
                .addListener(f -> dialing.handshakeOver(f));
        return result;
    }

    /**
     * Handler of a dialed connection until its handshake completes: a failed handshake fails the dial; a resumed one
     * of a replay-safe ALPN completes the dial in 0-RTT, as soon as netty says early data can go. Event loop.
     */
    private final class Dialing extends ChannelInboundHandlerAdapter {
        private final EndpointId id;
        private final String alpn;
        private final PathTable.Peer peer;
        private final PathAddr real;
        private final ByteBufKey key;
        private final CompletableFuture<Connection> result;
        /** The connection made in 0-RTT, or null. */
        private QuicConnectionImpl early;
        /** Whether the dial's TLS allows 0-RTT (its ALPN was replay-safe when it began). */
        private final boolean earlyTls;
        /** Whether a poke after the dial's Handshake flight is queued (see {@link Dialer#sending}). */
        private boolean pokeQueued;
        /** The dial's channel, once this handler is on it. */
        private QuicChannel channel;

        Dialing(EndpointId id, String alpn, PathTable.Peer peer, PathAddr real, ByteBufKey key, CompletableFuture<Connection> result) {
            this.id = id;
            this.alpn = alpn;
            this.peer = peer;
            this.real = real;
            this.key = key;
            this.result = result;
            this.earlyTls = replaySafe.test(alpn);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = (QuicChannel) ctx.channel();
            handshaking.put(key, this);
            channel.closeFuture().addListener(f -> {
                handshaking.remove(key);
                awaitingRetry.remove(key);
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof QuicConnectionCloseEvent close && early == null && !result.isDone()) {
                refused(close);
            }
            if (evt instanceof SslEarlyDataReadyEvent && early == null && !result.isDone() && earlyTls) {
                // A Quiver server answers every first Initial with a Retry and drops what came with it: 0-RTT data
                // sent before the Retry would only be resent after the handshake. The dial completes when the
                // Retry is in (the 0-RTT that follows it is kept), or at the end of the handshake without one.
                awaitingRetry.put(key, this);
            }
            ctx.fireUserEventTriggered(evt);
        }

        /** The server's Retry was taken: the dial completes now, in 0-RTT. Event loop. */
        void retried() {
            if (early != null || result.isDone() || !channel.isOpen() || channel.isActive()) {
                return;
            }
            early = connection(channel);
            early.early();
            channel.pipeline().addLast("connection", early);
            connections.track(early);
            result.complete(early);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // reported through the connect future
        }

        /**
         * The peer closed the connection during its handshake (a refusal: no shared ALPN or key exchange, a wrong
         * id). netty fails the dial only when the connection is gone, after its draining period (three probe
         * timeouts, seconds); the peer's answer is final, so the dial fails now; the connection drains behind it and
         * is forgotten when netty is done with it ({@link #handshakeOver}).
         */
        private void refused(QuicConnectionCloseEvent close) {
            result.completeExceptionally(failure(Futures.refused("Connect to " + id.shortString() + " at " + real, close),
                    Futures.tlsAlert(close)));
        }

        /** {@code failed}, with a hint when the TLS alert says no key exchange was shared. */
        private QuiverException failure(QuiverException failed, int alert) {
            if (alert == 40 || alert == 71) { // what BoringSSL sends when no group is shared
                return new QuiverException(failed.getMessage() + "; most likely no key exchange in common: this endpoint offers "
                        + String.join(", ", groups) + (groups.length == 1 && groups[0].equals(KeyExchanges.CLASSICAL)
                        ? " (the peer may require X25519MLKEM768, post-quantum)" : ""), failed.getCause());
            }
            return failed;
        }

        /** The connection on {@code ch}, known to the router until it closes. */
        private QuicConnectionImpl connection(QuicChannel ch) {
            PathAddr now = peer.real; // the handshake may have left the relay for a direct path that answered
            QuicConnectionImpl conn = new QuicConnectionImpl(ch, peer, id, alpn, true,
                    QuicConnectionImpl.info(now != null ? now : real, peer), dropped);
            if (earlyTls) {
                conn.earlyCapable();
            }
            unconfirmed.connected(key, conn);
            ch.closeFuture().addListener(c -> {
                liveClientIds.remove(key);
                unconfirmed.remove(key);
            });
            return conn;
        }

        /** The connect future: the handshake completed or failed. */
        void handshakeOver(io.netty.util.concurrent.Future<?> f) {
            handshaking.remove(key);
            if (!f.isSuccess()) {
                liveClientIds.remove(key);
                unconfirmed.remove(key);
                awaitingRetry.remove(key);
                if (early != null) {
                    return; // the dial completed in 0-RTT; its connection reports the close
                }
                result.completeExceptionally(failure(Futures.failure("Connect to " + id.shortString() + " at " + real, f.cause()),
                        Futures.tlsAlert(f.cause())));
                return;
            }
            QuicChannel ch = (QuicChannel) f.getNow();
            awaitingRetry.remove(key);
            if (early != null) {
                ch.pipeline().remove(this);
                connections.handshakeDone(early);
                ages.handshake(alpn, id, early.resumed());
                return;
            }
            QuicConnectionImpl conn = connection(ch);
            ch.pipeline().replace(this, "connection", conn);
            connections.track(conn);
            ages.handshake(alpn, id, conn.resumed());
            result.complete(conn);
        }
    }
}
