package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.codec.quic.QuicStreamFrame;
import io.netty.handler.codec.quic.DefaultQuicStreamFrame;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.api.PathStatus;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;

/**
 * NAT rebinding (RFC 9000 9.3): the dialer's NAT gives it a new outside port in the middle of a transfer. The
 * accepting endpoint gets the next QUIC packets from an address it does not know; QUIC accepts them (they are
 * new and authentic), so its traffic moves there at once, and the transfer completes byte-exact. Done with a
 * Quiver peer and with a plain netty QUIC client that has no path layer, probes or relay (what any standard
 * QUIC implementation does); the stall from the rebinding to the next data is printed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RebindingTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final int BYTES = 32 << 20;
    private static final int CHUNK = 64 << 10;
    private final AtomicLong received = new AtomicLong();

    /** Reads a stream to its end, counting as it goes, and answers the SHA-256 of what it read. */
    private void digestStreams(Connection conn) throws Exception {
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(conn.acceptBi(), Duration.ofMinutes(1));
            } catch (QuiverException closed) {
                return;
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                byte[] buf = new byte[CHUNK];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    sha.update(buf, 0, n);
                    received.addAndGet(n);
                }
                out.write(HexFormat.of().formatHex(sha.digest()).getBytes());
            }
        }
    }

    private static byte[] payload() {
        byte[] data = new byte[BYTES];
        new Random(7).nextBytes(data);
        return data;
    }

    /** Waits (bounded) until {@link #received} passes {@code bytes}. */
    private void awaitReceived(long bytes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received.get() < bytes && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(received.get()).as("bytes received").isGreaterThanOrEqualTo(bytes);
    }

    /** Rebinds once a quarter has arrived; returns the stall: from the rebinding until 256 KiB more arrived. */
    private Duration rebindMidway(RebindingNat nat) throws Exception {
        awaitReceived(BYTES / 4);
        long at = received.get();
        long t0 = System.nanoTime();
        nat.rebind();
        awaitReceived(at + (256 << 10));
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private static String selected(QuicEndpoint e, org.quiver.api.EndpointId peer) {
        return e.paths(peer).stream().filter(PathStatus::selected).map(PathStatus::remote).findFirst().orElse("none");
    }

    @Test
    void aQuiverPeerWhoseNatRebindsKeepsItsTransfer() throws Exception {
        byte[] data = payload();
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("r/1", this::digestStreams).build();
             RebindingNat nat = new RebindingNat(b.localAddress());
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build()) {
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(nat.address())), "r/1"), Duration.ofSeconds(10));
            BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try (OutputStream out = s.send().outputStream()) {
                    for (int off = 0; off < BYTES; off += CHUNK) {
                        out.write(data, off, CHUNK);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Duration stall = rebindMidway(nat);
            writing.get(60, TimeUnit.SECONDS);
            try (InputStream in = s.recv().inputStream()) {
                assertThat(new String(in.readAllBytes())).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
            }
            assertThat(b.rebindings()).as("the rebinding was followed").isGreaterThanOrEqualTo(1);
            assertThat(selected(b, a.id())).isEqualTo(AddressText.text(nat.outsideAddress()));
            assertThat(c.closed().toCompletableFuture().isDone()).isFalse();

            // a replayed packet from elsewhere is no rebinding: QUIC does not accept it twice, nothing moves
            long rebound = b.rebindings();
            long dropped = b.droppedDatagrams();
            nat.replayFromElsewhere();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.droppedDatagrams() == dropped && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(b.droppedDatagrams()).as("the replay was dropped").isGreaterThan(dropped);
            assertThat(b.rebindings()).isEqualTo(rebound);
            assertThat(selected(b, a.id())).isEqualTo(AddressText.text(nat.outsideAddress()));
            System.out.printf("rebinding, Quiver peer: %d MiB byte-exact; stall after the rebinding %.1f ms%n", BYTES >> 20, stall.toNanos() / 1e6);
        }
    }

    @Test
    void aPlainQuicClientWhoseNatRebindsKeepsItsTransfer() throws Exception {
        byte[] data = payload();
        LocalIdentity clientId = Identities.ephemeral();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("r/1", this::digestStreams).build();
             RebindingNat nat = new RebindingNat(b.localAddress())) {
            io.netty.handler.codec.quic.QuicSslContext tls = Tls.client(clientId, EndpointBuilder.KeyExchange.PREFER_HYBRID.groups(), Tls.Resumption.NONE, false, "r/1");
            Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .handler(new QuicClientCodecBuilder()
                            .sslEngineProvider(ch -> tls.newEngine(ch.alloc(), b.id().toString(), 1))
                            .maxIdleTimeout(30, TimeUnit.SECONDS)
                            .initialMaxData(64L << 20)
                            .initialMaxStreamDataBidirectionalLocal(16L << 20)
                            .initialMaxStreamDataBidirectionalRemote(16L << 20)
                            .initialMaxStreamsBidirectional(10)
                            .build())
                    .bind(LO).sync().channel();
            QuicChannel quic = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(nat.address()).connect().get(10, TimeUnit.SECONDS);
            CompletableFuture<String> answer = new CompletableFuture<>();
            StringBuilder text = new StringBuilder();
            QuicStreamChannel stream = quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf buf = msg instanceof QuicStreamFrame ? ((QuicStreamFrame) msg).content() : (ByteBuf) msg;
                    text.append(buf.toString(java.nio.charset.StandardCharsets.US_ASCII));
                    io.netty.util.ReferenceCountUtil.release(msg);
                }

                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof io.netty.channel.socket.ChannelInputShutdownReadComplete) {
                        answer.complete(text.toString());
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    answer.complete(text.toString());
                }
            }).get(10, TimeUnit.SECONDS);
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                for (int off = 0; off < BYTES; off += CHUNK) {
                    // bounded: wait while the stream's outbound buffer is over its high-water mark
                    while (!stream.isWritable() && stream.isActive()) {
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    stream.writeAndFlush(Unpooled.wrappedBuffer(data, off, CHUNK));
                }
                stream.writeAndFlush(new DefaultQuicStreamFrame(Unpooled.EMPTY_BUFFER, true));
            });
            Duration stall = rebindMidway(nat);
            writing.get(60, TimeUnit.SECONDS);
            assertThat(answer.get(60, TimeUnit.SECONDS)).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
            assertThat(b.rebindings()).as("the rebinding was followed").isGreaterThanOrEqualTo(1);
            assertThat(quic.isActive()).isTrue();
            System.out.printf("rebinding, plain netty QUIC client: %d MiB byte-exact; stall after the rebinding %.1f ms%n", BYTES >> 20,
                    stall.toNanos() / 1e6);
            quic.close().sync();
            udp.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
