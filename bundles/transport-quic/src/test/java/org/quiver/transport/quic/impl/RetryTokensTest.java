package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Retry tokens: good once, from the address they were given to, for 10 s, from this endpoint only. */
class RetryTokensTest {
    private static final InetSocketAddress A = new InetSocketAddress("198.18.0.1", 4433);
    private static final InetSocketAddress B = new InetSocketAddress("198.18.0.2", 4433);
    private static final InetSocketAddress A_OTHER_PORT = new InetSocketAddress("198.18.0.1", 4434);

    private static final class MovableClock extends Clock {
        Instant now = Instant.parse("2030-01-01T00:00:00Z").plusMillis(System.nanoTime() % 1000); // any date works

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static ByteBuf token(RetryTokens t, byte[] odcid, InetSocketAddress to) {
        ByteBuf out = Unpooled.buffer(t.maxTokenLength());
        assertThat(t.writeToken(out, Unpooled.wrappedBuffer(odcid), to)).isTrue();
        return out;
    }

    @Test
    void aTokenIsGoodFromItsAddressForTenSecondsAndCannotBeForged() {
        MovableClock clock = new MovableClock();
        RetryTokens tokens = new RetryTokens(clock, a -> a, a -> null);
        byte[] odcid = {1, 2, 3, 4, 5, 6, 7, 8};
        ByteBuf t = token(tokens, odcid, A);
        int offset = tokens.validateToken(t.slice(), A);
        assertThat(offset).isPositive();
        byte[] back = new byte[t.readableBytes() - offset];
        t.getBytes(t.readerIndex() + offset, back);
        assertThat(back).as("the original destination id follows the offset").isEqualTo(odcid);

        assertThat(tokens.validateToken(t.slice(), B)).as("another address").isEqualTo(-1);
        assertThat(tokens.validateToken(t.slice(), A_OTHER_PORT)).as("another port").isEqualTo(-1);
        assertThat(new RetryTokens(clock, a -> a, a -> null).validateToken(t.slice(), A)).as("another endpoint's key").isEqualTo(-1);
        for (int i = 0; i < t.readableBytes(); i++) {
            ByteBuf tampered = t.copy();
            tampered.setByte(i, tampered.getByte(i) ^ 0x01);
            assertThat(tokens.validateToken(tampered, A)).as("byte %d flipped", i).isEqualTo(-1);
        }
        assertThat(tokens.validateToken(Unpooled.wrappedBuffer(new byte[5]), A)).as("too short").isEqualTo(-1);
        assertThat(tokens.validateToken(Unpooled.wrappedBuffer(new byte[100]), A)).as("too long").isEqualTo(-1);

        clock.now = clock.now.plus(Duration.ofMillis(RetryTokens.LIFETIME_MS - 1));
        assertThat(tokens.validateToken(t.slice(), A)).as("just in time").isPositive();
        clock.now = clock.now.plus(Duration.ofMillis(2));
        assertThat(tokens.validateToken(t.slice(), A)).as("expired").isEqualTo(-1);
    }

    @Test
    void theTokenFollowsTheRealAddressBehindAMappedOne() {
        MovableClock clock = new MovableClock();
        InetSocketAddress mapped1 = PathTable.mapped(1);
        InetSocketAddress mapped2 = PathTable.mapped(2);
        // two mapped addresses (an evicted peer entry and its successor) for the same real address
        java.util.function.UnaryOperator<InetSocketAddress> real = m -> m.equals(mapped1) || m.equals(mapped2) ? A : null;
        RetryTokens tokens = new RetryTokens(clock, real, real);
        ByteBuf t = token(tokens, new byte[] {9, 9, 9, 9}, mapped1);
        assertThat(tokens.validateToken(t.slice(), mapped2)).isPositive();
        assertThat(tokens.validateToken(t.slice(), PathTable.mapped(3))).isEqualTo(-1);
    }

    /**
     * The Retry went out while the sender had proved nothing (bound to its real address); before its answer came, another
     * connection of the same peer completed and proved its id (from then on bound to its mapped address). The answer
     * must still be good, or the dial hangs: every retransmission carries the same token.
     */
    @Test
    void aTokenStaysGoodWhenItsSenderProvesItsIdMeanwhile() {
        MovableClock clock = new MovableClock();
        InetSocketAddress mapped = PathTable.mapped(1);
        java.util.concurrent.atomic.AtomicBoolean proved = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<InetSocketAddress> socket = new java.util.concurrent.atomic.AtomicReference<>(A);
        RetryTokens tokens = new RetryTokens(clock, m -> proved.get() ? m : socket.get(), m -> socket.get());
        ByteBuf beforeProof = token(tokens, new byte[] {7, 7, 7, 7}, mapped);
        proved.set(true);
        assertThat(tokens.validateToken(beforeProof.slice(), mapped)).as("made before the proof, answered after").isPositive();
        ByteBuf afterProof = token(tokens, new byte[] {8, 8, 8, 8}, mapped);
        socket.set(B);
        assertThat(tokens.validateToken(afterProof.slice(), mapped)).as("a proved peer's token follows it to another path").isPositive();
        assertThat(tokens.validateToken(beforeProof.slice(), mapped)).as("a token bound to the old real address, from another one").isEqualTo(-1);
    }
}
