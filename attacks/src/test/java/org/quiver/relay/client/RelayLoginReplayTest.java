package org.quiver.relay.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.protocol.Codec;
import org.quiver.relay.protocol.RelayFrame;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/**
 * Attack 5 of the hostile-networks issue, run for real: a malicious relay M (a WebSocket server on loopback) that a
 * node connects to (a ticket named it) passes the challenges of an honest relay L on to the node and the node's
 * answers back to L, to log in at L as the node and receive its datagrams. Before logins named their relay, L
 * accepted every such login. Now L refuses it, and the node answers one challenge per connection only.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayLoginReplayTest {
    private static final RelayClient.Options QUICK = new RelayClient.Options(Duration.ofMillis(200), Duration.ofMillis(50),
            Duration.ofMillis(300), Duration.ofSeconds(5), 1 << 20);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** What L said to M's forwarded logins, in order. */
    private final LinkedBlockingQueue<RelayFrame> lAnswers = new LinkedBlockingQueue<>();

    /** M: every node connection is paired with a connection of M's own to L; frames pass both ways unchanged. */
    private Channel maliciousRelay(URI honest, boolean challengeAgain) throws Exception {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new WebSocketServerProtocolHandler("/relay"), new Forwarder(honest, challengeAgain));
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    private final class Forwarder extends SimpleChannelInboundHandler<BinaryWebSocketFrame> {
        private final URI honest;
        private final boolean challengeAgain;
        private WebSocket toL;

        Forwarder(URI honest, boolean challengeAgain) {
            this.honest = honest;
            this.challengeAgain = challengeAgain;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                Channel node = ctx.channel();
                toL = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(honest, new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                        byte[] bytes = new byte[data.remaining()];
                        data.get(bytes);
                        try {
                            RelayFrame f = Codec.decode(ByteBuffer.wrap(bytes));
                            if (!(f instanceof RelayFrame.ServerChallenge)) {
                                lAnswers.add(f);
                            }
                        } catch (Exception e) {
                            lAnswers.add(new RelayFrame.Health("undecodable: " + e));
                        }
                        node.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes))); // L's challenge, to the node
                        ws.request(1);
                        return null;
                    }
                }).join();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, BinaryWebSocketFrame frame) throws Exception {
            byte[] bytes = ByteBufUtil.getBytes(frame.content());
            toL.sendBinary(ByteBuffer.wrap(bytes), true).join(); // the node's login, to L
            if (challengeAgain && Codec.decode(ByteBuffer.wrap(bytes)) instanceof RelayFrame.ClientAuth) {
                // M confirms the login itself and asks again: a second signature, for M to use elsewhere
                ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Codec.encode(new RelayFrame.ServerConfirmsAuth()))));
                ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Codec.encode(new RelayFrame.ServerChallenge(new byte[16])))));
            }
        }
    }

    private static RelayClient node(LocalIdentity id, URI relay, EventLoopGroup group) {
        return new RelayClient(relay, id.id(), id::sign, (v, s, d) -> { }, group.next(), QUICK).start();
    }

    @Test
    void aRelayThatPassesAnotherRelaysChallengeOnCannotLogInAsTheNode() throws Exception {
        try (RelayServer l = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RelayCore.Limits.DEFAULT)) {
            Channel m = maliciousRelay(URI.create(l.url()), false);
            URI mUrl = URI.create("ws://127.0.0.1:" + ((InetSocketAddress) m.localAddress()).getPort() + "/relay");
            LocalIdentity victim = Identities.ephemeral();
            RelayClient c = node(victim, mUrl, group);
            try {
                // L's answers to the logins M forwarded: every one refused, none confirmed (the client retries; bounded wait)
                RelayFrame first = lAnswers.poll(10, TimeUnit.SECONDS);
                assertThat(first).isInstanceOfSatisfying(RelayFrame.ServerDeniesAuth.class,
                        d -> assertThat(d.reason()).contains("this relay is not 127.0.0.1:" + mUrl.getPort()));
                Thread.sleep(1000);
                assertThat(lAnswers).noneMatch(f -> f instanceof RelayFrame.ServerConfirmsAuth);
                assertThat(l.core().stats().authenticated()).as("nobody logged in at L as the node").isZero();
                assertThat(l.core().wrongRelayLogins()).isGreaterThanOrEqualTo(1);
            } finally {
                c.close();
                m.close().sync();
            }
            // the same node logs in at L itself without trouble
            RelayClient direct = node(victim, URI.create(l.url()), group);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (direct.state().get() != RelayClient.State.CONNECTED && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(direct.state().get()).isEqualTo(RelayClient.State.CONNECTED);
            } finally {
                direct.close();
            }
        }
    }

    @Test
    void theNodeAnswersOneChallengePerConnection() throws Exception {
        try (RelayServer l = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RelayCore.Limits.DEFAULT)) {
            Channel m = maliciousRelay(URI.create(l.url()), true);
            URI mUrl = URI.create("ws://127.0.0.1:" + ((InetSocketAddress) m.localAddress()).getPort() + "/relay");
            RelayClient c = node(Identities.ephemeral(), mUrl, group);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!c.lastProblem().contains("second challenge") && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(c.lastProblem()).isEqualTo("the relay sent a second challenge");
            } finally {
                c.close();
                m.close().sync();
            }
        }
    }
}
