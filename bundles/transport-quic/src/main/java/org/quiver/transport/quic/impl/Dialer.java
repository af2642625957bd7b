package org.quiver.transport.quic.impl;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.netty.handler.codec.quic.QuicSslContext;
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
    /** The TLS key-exchange groups offered, most preferred first. */
    private final String[] groups;
    /** The sessions kept to resume (per ALPN, keyed by the peer id dialed). */
    private final Tls.Resumption resumption;
    /** How old each cached session is by the endpoint's clock. */
    private final SessionAges ages;

    Dialer(LocalIdentity identity, PathTable paths, PathLayer pathLayer, EndpointThreads threads, Connections connections, LongAdder dropped,
           String[] groups, Tls.Resumption resumption, java.util.function.LongSupplier ticker) {
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
    ChannelHandler codec(VirtualChannel side, java.util.function.UnaryOperator<QuicClientCodecBuilder> parameters) {
        this.clientSide = side;
        QuicClientCodecBuilder builder = new QuicClientCodecBuilder()
                .sslEngineProvider(ch -> clientContexts.computeIfAbsent(ch.attr(DIAL_ALPN).get(), alpn -> Tls.client(identity, groups, resumption, alpn))
                        .newEngine(ch.alloc(), ch.attr(EXPECTED_ID).get().toString(),
                                ages.portFor(ch.attr(DIAL_ALPN).get(), ch.attr(EXPECTED_ID).get())))
                .localConnectionIdLength(ConnectionIds.LENGTH);
        return parameters.apply(builder).build();
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
        QuicChannel.newBootstrap(clientSide)
                .attr(EXPECTED_ID, target.id())
                .attr(DIAL_ALPN, alpn)
                .handler(new Dialing())
                .streamOption(ChannelOption.AUTO_READ, false)
                .streamHandler(new Acceptor.IncomingStreams())
                .remoteAddress(peer.mapped)
                .localConnectionAddress(new QuicConnectionAddress(cid))
                .connect()
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        liveClientIds.remove(key);
                        unconfirmed.remove(key);
                        QuiverException failed = Futures.failure("Connect to " + target.id().shortString() + " at " + real, f.cause());
                        int alert = Futures.tlsAlert(f.cause());
                        if (alert == 40 || alert == 71) { // what BoringSSL sends when no group is shared
                            failed = new QuiverException(failed.getMessage() + "; most likely no key exchange in common: this endpoint offers "
                                    + String.join(", ", groups) + (groups.length == 1 && groups[0].equals(KeyExchanges.CLASSICAL)
                                    ? " (the peer may require X25519MLKEM768, post-quantum)" : ""), f.cause());
                        }
                        result.completeExceptionally(failed);
                        return;
                    }
                    QuicChannel ch = (QuicChannel) f.getNow();
                    PathAddr now = peer.real; // the handshake may have left the relay for a direct path that answered
                    QuicConnectionImpl conn = new QuicConnectionImpl(ch, peer, target.id(), true,
                            QuicConnectionImpl.info(now != null ? now : real, peer), dropped);
                    unconfirmed.connected(key, conn);
                    ch.closeFuture().addListener(c -> {
                        liveClientIds.remove(key);
                        unconfirmed.remove(key);
                    });
                    ch.pipeline().replace(Dialing.class, "connection", conn);
                    connections.track(conn);
                    ages.handshake(alpn, target.id(), conn.resumed());
                    result.complete(conn);
                });
        return result;
    }

    /** Handler of a dialed connection until its handshake completes: a failed handshake fails the dial, no more. */
    private static final class Dialing extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // reported through the connect future
        }
    }
}
