package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicTokenHandler;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Retry tokens (RFC 9000 8.1.2) that only this endpoint can make: {@code expiry (8) | tag (16) | original
 * destination id}, the tag an HMAC-SHA256 (truncated to 16 bytes) under a random key of this endpoint's over the
 * expiry, the client's address and port, and the original id. A token is good for {@link #LIFETIME_MS} and only
 * from the address it was given to, so an Initial with a token proves the sender receives at its address:
 * netty's {@code InsecureQuicTokenHandler}, which anyone can forge, is not used.
 *
 * <p>QUIC only sees mapped addresses; {@code realOf} says what the token is bound to: for a sender that has not
 * proved an id, the real address behind its mapped one (so the token stays good when its peer entry was pushed
 * out between the Retry and the Initial that answers it); for a known peer, its mapped address itself, which
 * stays while the path under it changes. Thread-safe: the key never changes, each call makes its own {@link Mac}. Called on the event loop,
 * once per Initial without a token and once per Initial with one.
 */
final class RetryTokens implements QuicTokenHandler {
    /** How long a token is accepted: a Retry is answered within a round trip. */
    static final long LIFETIME_MS = 10_000;
    private static final int TAG = 16;
    private static final int HEADER = 8 + TAG;
    private static final int MAX_ID = 20;

    private final byte[] key = new byte[32];
    private final Clock clock;
    private final java.util.function.UnaryOperator<InetSocketAddress> realOf;
    /** The real socket address behind a mapped one (a direct path), or null: a token bound to it is good too. */
    private final java.util.function.UnaryOperator<InetSocketAddress> socketOf;

    RetryTokens(Clock clock, java.util.function.UnaryOperator<InetSocketAddress> realOf,
                java.util.function.UnaryOperator<InetSocketAddress> socketOf) {
        this.clock = clock;
        this.realOf = realOf;
        this.socketOf = socketOf;
        new SecureRandom().nextBytes(key);
    }

    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
        if (dcid.readableBytes() > MAX_ID) {
            return false;
        }
        long expiry = clock.millis() + LIFETIME_MS;
        out.writeLong(expiry);
        InetSocketAddress real = realOf.apply(address);
        out.writeBytes(tag(expiry, real != null ? real : address, dcid, dcid.readerIndex(), dcid.readableBytes()));
        out.writeBytes(dcid, dcid.readerIndex(), dcid.readableBytes());
        return true;
    }

    @Override
    public int validateToken(ByteBuf token, InetSocketAddress address) {
        int start = token.readerIndex();
        int idLength = token.readableBytes() - HEADER;
        if (idLength < 0 || idLength > MAX_ID) {
            return -1;
        }
        long expiry = token.getLong(start);
        long now = clock.millis();
        if (expiry < now || expiry > now + LIFETIME_MS) {
            return -1; // expired, or from the future (not ours)
        }
        // bound to what the address stood for when the token was made, which may have changed since (a sender that
        // proved its id in between, another connection of it completing, is now its mapped address): either is good
        boolean good = matches(token, start, tag(expiry, address, token, start + HEADER, idLength));
        InetSocketAddress socket = socketOf.apply(address);
        if (!good && socket != null && !socket.equals(address)) {
            good = matches(token, start, tag(expiry, socket, token, start + HEADER, idLength));
        }
        return good ? HEADER : -1;
    }

    private static boolean matches(ByteBuf token, int start, byte[] expected) {
        int diff = 0;
        for (int i = 0; i < TAG; i++) {
            diff |= expected[i] ^ token.getByte(start + 8 + i); // constant time
        }
        return diff == 0;
    }

    @Override
    public int maxTokenLength() {
        return HEADER + MAX_ID;
    }

    /** The tag of a token for {@code address} (what it is bound to), its expiry and the original id. */
    private byte[] tag(long expiry, InetSocketAddress address, ByteBuf id, int idIndex, int idLength) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            for (int i = 56; i >= 0; i -= 8) {
                mac.update((byte) (expiry >>> i));
            }
            mac.update(address.getAddress().getAddress());
            mac.update((byte) (address.getPort() >>> 8));
            mac.update((byte) address.getPort());
            byte[] idBytes = new byte[idLength];
            id.getBytes(idIndex, idBytes);
            mac.update(idBytes);
            byte[] full = mac.doFinal();
            byte[] out = new byte[TAG];
            System.arraycopy(full, 0, out, 0, TAG);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
