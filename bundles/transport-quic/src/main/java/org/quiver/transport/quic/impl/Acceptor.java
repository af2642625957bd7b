package org.quiver.transport.quic.impl;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.CloseInfo;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.ProtocolHandler;

/**
 * The accepting side of the endpoint: the protocol handlers by ALPN, the server-role TLS that offers them, the
 * server-role QUIC codec, and what happens to a connection once its handshake is done (the allow-list, which
 * it keeps, the per-peer limit, the handler on a pool thread) and to the streams a peer opens.
 *
 * <p>Threads: handlers are added and removed from any thread (under this object's lock; the TLS context is made
 * again at the next handshake); connections and streams arrive on the event loop; handlers run on the endpoint's
 * handler pool. It owns no thread; the endpoint's close closes the codec with the loop.
 */
final class Acceptor {
    /** Streams that arrived before their connection's {@link QuicConnectionImpl} existed. */
    static final io.netty.util.AttributeKey<java.util.ArrayDeque<QuicStreamChannel>> EARLY_STREAMS =
            io.netty.util.AttributeKey.valueOf("quiver.earlyStreams");

    private final LocalIdentity identity;
    private final PathTable paths;
    private final PathLayer pathLayer;
    private final Connections connections;
    /** The peers allowed to connect (empty: anyone); replaced whole, read at each completed handshake. */
    private volatile java.util.Set<EndpointId> allowed;
    private final ExecutorService handlerPool;
    private final LongAdder dropped;
    private final int maxConnectionsPerPeer;
    private final Map<String, ProtocolHandler> handlers;
    /** Connections refused by the allow-list. */
    final LongAdder notAllowed = new LongAdder();
    /** Connections handed to their (replay-safe) handler in 0-RTT, before their handshake completed. */
    final LongAdder earlyAccepted = new LongAdder();
    /** Whether any handler is replay-safe: only then are resuming ClientHellos read ({@link #clientInitial}). */
    private volatile boolean anyReplaySafe;
    /**
     * TLS for accepted connections, offering the ALPNs of the current handlers; null when they changed since
     * it was made, and then made again (once) by the next handshake rather than at every change.
     */
    private QuicSslContext serverTls;
    /** The TLS key-exchange groups accepted, most preferred first. */
    private final String[] groups;
    /** How long the session tickets this side issues are good. */
    private final Tls.Resumption resumption;
    /** Seals this endpoint's session tickets; kept when the TLS context is made anew, so tickets outlive handler changes. */
    final io.netty.handler.codec.quic.SslSessionTicketKey ticketKey = Tls.newTicketKey();

    Acceptor(LocalIdentity identity, PathTable paths, PathLayer pathLayer, Connections connections, java.util.Set<EndpointId> allowed,
             ExecutorService handlerPool,
             LongAdder dropped, int maxConnectionsPerPeer, Map<String, ProtocolHandler> handlers, String[] groups, Tls.Resumption resumption) {
        this.groups = groups.clone();
        this.resumption = resumption;
        this.identity = identity;
        this.paths = paths;
        this.pathLayer = pathLayer;
        this.connections = connections;
        this.allowed = java.util.Set.copyOf(allowed);
        this.handlerPool = handlerPool;
        this.dropped = dropped;
        this.maxConnectionsPerPeer = maxConnectionsPerPeer;
        this.handlers = new ConcurrentHashMap<>(handlers);
        this.anyReplaySafe = handlers.values().stream().anyMatch(ProtocolHandler::replaySafe);
    }

    /** The peers allowed to connect (empty: anyone). */
    java.util.Set<EndpointId> allowed() {
        return allowed;
    }

    /** Allows only {@code peers} from now on (empty: anyone); connections that are up stay. */
    void allow(java.util.Collection<EndpointId> peers) {
        allowed = java.util.Set.copyOf(peers);
    }

    /** The server-role codec, with the transport parameters both roles share ({@code parameters}). */
    ChannelHandler codec(java.time.Clock clock,
                         java.util.function.UnaryOperator<QuicServerCodecBuilder> parameters, Segments segments) {
        QuicServerCodecBuilder builder = new QuicServerCodecBuilder()
                .sslEngineProvider(ch -> serverTls().newEngine(ch.alloc()))
                .tokenHandler(new RetryTokens(clock, mapped -> {
                    // a peer that proved its id keeps its mapped address whatever path it takes (its selected path
                    // may change between the Retry and the Initial that answers it); an unvalidated one is its one
                    // real address (its mapped address changes if it was pushed out meanwhile)
                    PathTable.Peer p = paths.byMapped(mapped);
                    return p == null || p.id != null || !(p.real instanceof PathAddr.Direct d) ? mapped : d.socket();
                }, mapped -> {
                    PathTable.Peer p = paths.byMapped(mapped);
                    return p != null && p.real instanceof PathAddr.Direct d ? d.socket() : null;
                }))
                .connectionIdAddressGenerator(ConnectionIds.serverGenerator())
                .localConnectionIdLength(ConnectionIds.LENGTH)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel ch) {
                        ch.pipeline().addLast(new AcceptedConnection());
                        if (anyReplaySafe) {
                            // netty reads a connection's streams only once asked to, which auto-read does at the
                            // end of the handshake: asked now, streams sent in 0-RTT come before it (see #early)
                            ch.read();
                        }
                    }
                })
                .streamOption(ChannelOption.AUTO_READ, false)
                .streamHandler(new IncomingStreams(this::early));
        if (segments != null) {
            builder.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, segments);
        }
        return parameters.apply(builder).build();
    }

    /**
     * Serves {@code alpn} with {@code handler}, replacing any other handler of it. Connections that arrive from
     * now on may negotiate it; live connections are not touched.
     */
    synchronized void addHandler(String alpn, ProtocolHandler handler) {
        EndpointBuilder.checkAlpn(alpn);
        handlers.put(alpn, Objects.requireNonNull(handler, "handler"));
        serverTls = null;
        anyReplaySafe = handlers.values().stream().anyMatch(ProtocolHandler::replaySafe);
    }

    /** Stops serving {@code alpn} if {@code handler} serves it; new connections with it are refused in the handshake. */
    synchronized void removeHandler(String alpn, ProtocolHandler handler) {
        if (handlers.remove(alpn, handler)) {
            serverTls = null;
            anyReplaySafe = handlers.values().stream().anyMatch(ProtocolHandler::replaySafe);
        }
    }

    /** Whether this endpoint serves {@code alpn} with a replay-safe handler: then its dials of it may use 0-RTT. */
    boolean replaySafe(String alpn) {
        ProtocolHandler handler = handlers.get(alpn);
        return handler != null && handler.replaySafe();
    }

    /**
     * A client's Initial to the server role from {@code peer} (the router's, event loop): with a replay-safe handler,
     * whom the session ticket it resumes with was issued to is read from it ({@link KeyExchanges#resumingClient}).
     */
    void clientInitial(PathTable.Peer peer, io.netty.buffer.ByteBuf packet) {
        if (anyReplaySafe) {
            KeyExchanges.resumingClient(peer, packet, ticketKey);
        }
    }

    private synchronized QuicSslContext serverTls() {
        if (serverTls == null) {
            serverTls = Tls.server(identity, groups, resumption, ticketKey, alpns(handlers));
        }
        return serverTls;
    }

    /** The ALPNs to offer; with no handler, one that no client asks for, so that every handshake is refused. */
    private static String[] alpns(Map<String, ProtocolHandler> handlers) {
        return handlers.isEmpty() ? new String[] {"quiver/no-handler"} : handlers.keySet().toArray(new String[0]);
    }

    /**
     * Handler of an accepted connection until its handshake completes; then the connection's own. A connection
     * handed to its handler in 0-RTT ({@link #early}) stands behind it meanwhile.
     */
    private final class AcceptedConnection extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            QuicChannel ch = (QuicChannel) ctx.channel();
            PathTable.Peer peer = paths.byMapped((InetSocketAddress) ch.remoteSocketAddress());
            EndpointId id = Tls.peerId(ch.sslEngine());
            if (peer != null) {
                paths.identified(peer, id);
                if (peer.real != null && paths.byId(id) == peer) {
                    pathLayer.accepted(peer, peer.real);
                }
            }
            QuicConnectionImpl early = ch.attr(QuicConnectionImpl.KEY).get();
            if (early != null) {
                ctx.pipeline().remove(this);
                if (!early.remoteId().equals(id) || !early.alpn().equals(ch.sslEngine().getApplicationProtocol())) {
                    // cannot happen if the ticket was read right (it is ours, and TLS checked the same one)
                    early.close(CloseInfo.Cause.LOCAL, 0x105, "the resumed session is not the one its ticket named");
                } else {
                    connections.handshakeDone(early);
                }
                ctx.fireChannelActive();
                return;
            }
            QuicConnectionImpl conn = new QuicConnectionImpl(ch, peer, id, false,
                    QuicConnectionImpl.info(peer != null && peer.real != null ? peer.real : new PathAddr.Direct(PathTable.LOCAL), peer), dropped);
            ctx.pipeline().replace(this, "connection", conn);
            connections.track(conn);
            start(conn, peer);
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a handshake that failed (refused ALPN, bad certificate): nothing to log. The peer is told by TLS, but
            // netty writes the CONNECTION_CLOSE only at the connection's next send, when the peer sends again (a
            // probe timeout later): closing it once netty's failed step is over sends it at once
            if (cause instanceof javax.net.ssl.SSLException) {
                ctx.channel().eventLoop().execute(() -> ctx.channel().close());
            }
        }
    }

    /** Hands {@code conn} to its ALPN's handler on the pool, after the allow-list and the per-peer limit. Event loop. */
    private void start(QuicConnectionImpl conn, PathTable.Peer peer) {
        java.util.Set<EndpointId> allow = allowed;
        if (!allow.isEmpty() && !allow.contains(conn.remoteId())) {
            // before any handler or stream: the peer learns why from the close reason
            notAllowed.increment();
            conn.close(CloseInfo.Cause.LOCAL, 0x104, org.quiver.api.Endpoint.NOT_ALLOWED);
            return;
        }
        if (peer != null && peer.users.get() > maxConnectionsPerPeer) {
            conn.close(CloseInfo.Cause.LOCAL, 0x103, "too many connections from one peer (" + maxConnectionsPerPeer + ")");
            return;
        }
        ProtocolHandler handler = handlers.get(conn.alpn());
        if (handler == null) {
            conn.close(CloseInfo.Cause.LOCAL, 0x100, "no handler for ALPN " + conn.alpn());
            return;
        }
        try {
            handlerPool.execute(() -> {
                try {
                    handler.accept(conn);
                } catch (Exception | Error e) {
                    conn.close(CloseInfo.Cause.LOCAL, 0x101, "handler failed: " + e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            conn.close(CloseInfo.Cause.LOCAL, 0x102, "too many connections waiting for a handler");
        }
    }

    /**
     * The first stream of an accepted connection arrived before its handshake completed, so in 0-RTT: if the session
     * ticket the peer resumed with is ours and names the peer already proved at this address, and the ALPN it allows
     * early data for has a replay-safe handler, the connection is made now, for that peer, and handed to the handler.
     * Else null, and the stream waits for the handshake (a replayed flight never completes one). Event loop.
     */
    private QuicConnectionImpl early(QuicChannel ch) {
        if (ch.isActive() || !(ch.remoteSocketAddress() instanceof InetSocketAddress remote)) {
            return null;
        }
        PathTable.Peer peer = paths.byMapped(remote);
        SessionTickets.Issued ticket = KeyExchanges.ticket(peer);
        byte[] dcid = KeyExchanges.clientDcid(peer);
        // the ticket must be this connection's (the latest handshake from the peer is the one seen), and name the
        // peer a completed handshake (or the relay) already proved at this address: what we read of a ClientHello
        // can differ from what TLS took when someone who sends from (and receives at) the address injects Initials,
        // and the name must not be theirs to choose
        if (ticket == null || dcid == null || !new QuicConnectionAddress(dcid).equals(ch.localAddress())
                || !ticket.peer().equals(peer.id)) {
            return null;
        }
        ProtocolHandler handler = handlers.get(ticket.earlyAlpn());
        if (handler == null || !handler.replaySafe()) {
            return null;
        }
        QuicConnectionImpl conn = new QuicConnectionImpl(ch, peer, ticket.peer(), ticket.earlyAlpn(), false,
                QuicConnectionImpl.info(peer.real != null ? peer.real : new PathAddr.Direct(PathTable.LOCAL), peer), dropped);
        conn.early();
        earlyAccepted.increment();
        ch.pipeline().addLast("connection", conn);
        connections.track(conn);
        start(conn, peer);
        return conn;
    }

    /**
     * Puts each stream the peer opens into its connection's accept queue (on dialed connections too). A stream
     * that comes before its connection exists is given to {@code early} (accepted connections) and otherwise kept,
     * bounded, until the handshake completes.
     */
    @ChannelHandler.Sharable
    static final class IncomingStreams extends ChannelInboundHandlerAdapter {
        private final java.util.function.Function<QuicChannel, QuicConnectionImpl> early;

        IncomingStreams(java.util.function.Function<QuicChannel, QuicConnectionImpl> early) {
            this.early = early;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
            ctx.pipeline().remove(this);
            QuicConnectionImpl conn = stream.parent().attr(QuicConnectionImpl.KEY).get();
            if (conn == null && early != null) {
                conn = early.apply(stream.parent());
            }
            if (conn != null) {
                conn.incoming(stream);
                return;
            }
            // The peer may open a stream in the same flight that completes the handshake (or in 0-RTT), before
            // this side has made its Connection: park it (bounded) until then.
            java.util.ArrayDeque<QuicStreamChannel> parked = stream.parent().attr(EARLY_STREAMS).setIfAbsent(new java.util.ArrayDeque<>());
            if (parked == null) {
                parked = stream.parent().attr(EARLY_STREAMS).get();
            }
            if (parked.size() < QuicConnectionImpl.MAX_PENDING_STREAMS) {
                stream.config().setAutoRead(false);
                parked.add(stream);
            } else {
                stream.shutdown(2);
            }
        }
    }
}
