package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * A handshake the endpoint refuses (no ALPN in common, no key exchange in common) must cost it that handshake and
 * nothing more: found when a refused handshake's last, empty write threw in the router and netty shut the
 * server role's channel, so that no later handshake from anyone was even answered.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RefusedHandshakeTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static QuicEndpoint endpoint(EndpointBuilder.KeyExchange policy) throws Exception {
        return QuicEndpoint.builder(Identities.ephemeral()).bind(LO).keyExchange(policy).handler("ok/1", c -> { }).build();
    }

    @Test
    void afterRefusingHandshakesTheEndpointStillAcceptsOthers() throws Exception {
        try (QuicEndpoint node = endpoint(EndpointBuilder.KeyExchange.REQUIRE_HYBRID);
             QuicEndpoint classical = endpoint(EndpointBuilder.KeyExchange.CLASSICAL);
             QuicEndpoint other = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID)) {
            EndpointAddr at = EndpointAddr.of(node.id(), null, List.of(node.localAddress()));
            for (int round = 0; round < 3; round++) { // bounded
                assertThatThrownBy(() -> Blocking.await(other.connect(at, "nobody-serves-this/1"), Duration.ofSeconds(15)))
                        .hasMessageContaining("no_application_protocol");
                assertThatThrownBy(() -> Blocking.await(classical.connect(at, "ok/1"), Duration.ofSeconds(15)))
                        .hasMessageContaining("key exchange");
                long t0 = System.nanoTime();
                Blocking.await(other.connect(at, "ok/1"), Duration.ofSeconds(10)).close();
                System.out.printf("round %d: a good handshake right after two refused ones took %d ms%n", round,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
        }
    }

    /**
     * Refused, accepted, refused, back to back from one peer: the acceptor sends each refusal when the handshake fails
     * (netty wrote it only at the dialer's next retransmission, a probe timeout later), the dialer reports it as soon as
     * it arrives (not after the connection's draining period: it took 4.0-4.4 s in all), and the dial after an
     * accepted one is answered at all (its Retry token was made before the accepted connection proved the peer's id
     * and judged after: every retransmission was dropped and the dial hung until its timeout).
     */
    @Test
    void refusalsAreReportedAtOnceAndADialRightAfterAnAcceptedOneIsAnswered() throws Exception {
        try (QuicEndpoint node = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID);
             QuicEndpoint other = endpoint(EndpointBuilder.KeyExchange.PREFER_HYBRID)) {
            EndpointAddr at = EndpointAddr.of(node.id(), null, List.of(node.localAddress()));
            for (int round = 0; round < 3; round++) { // bounded
                for (String alpn : List.of("nobody-serves-this/1", "ok/1", "nobody-serves-this/2")) {
                    long t0 = System.nanoTime();
                    try {
                        Blocking.await(other.connect(at, alpn), Duration.ofSeconds(15)).close();
                        assertThat(alpn).isEqualTo("ok/1");
                    } catch (org.quiver.api.QuiverException refused) {
                        assertThat(refused).hasMessageContaining("no_application_protocol");
                        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                        System.out.printf("round %d, %s: refused after %d ms%n", round, alpn, ms);
                        // under one probe timeout (1 s): the refusal is sent when the refusing handshake fails, not
                        // when the dialer retransmits (1.0-1.4 s), nor noticed after the draining period (4.0-4.4 s)
                        assertThat(ms).as("round %d, %s: refused after %d ms", round, alpn, ms).isLessThan(900);
                    }
                }
            }
        }
    }

    @Test
    void aSenderThatThrowsCostsItsDatagramNotTheChannel() throws Exception {
        EventLoop loop = new DefaultEventLoop();
        try {
            AtomicInteger sent = new AtomicInteger();
            VirtualChannel ch = new VirtualChannel(loop, new VirtualChannel.Sender() {
                @Override
                public void send(InetSocketAddress mapped, io.netty.buffer.ByteBuf content, int segmentSize) {
                    content.release();
                    if (sent.incrementAndGet() == 1) {
                        throw new IllegalStateException("a bug in the path out");
                    }
                }

                @Override
                public void flush() {
                }
            });
            loop.register(ch).sync();
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", 9);
            ch.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1}), to)).await(5, TimeUnit.SECONDS);
            ch.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {2}), to)).await(5, TimeUnit.SECONDS);
            assertThat(ch.isOpen()).as("the channel stays open").isTrue();
            assertThat(sent.get()).as("the next datagram went out").isEqualTo(2);
            assertThat(ch.sendFailures.sum()).isEqualTo(1);
            ch.close().sync();
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}
