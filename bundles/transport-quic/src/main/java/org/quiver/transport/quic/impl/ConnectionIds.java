package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * The connection ids this endpoint issues, and how a datagram is routed by them.
 *
 * <p>Every id we issue is {@link #LENGTH} bytes; the top bit of its first byte says which of our two
 * QUIC codecs issued it: set for the server (accepting) role, clear for the client (dialing) role. A
 * short-header packet's destination id is always one we issued, so that bit routes it. A long-header
 * packet goes to the client codec only if its destination id is one of our live client-role ids (a
 * remote's random Initial id has that bit set half the time); anything else goes to the server codec.
 * A datagram whose first byte has the QUIC fixed bit (0x40) clear is not QUIC: it is one of our probes.
 */
final class ConnectionIds {
    static final int LENGTH = 16;
    /** RFC 9000 14.1: a server discards an Initial in a datagram smaller than this (clients pad theirs). */
    static final int MIN_INITIAL_DATAGRAM = 1200;
    private static final int SERVER_BIT = 0x80;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where a datagram goes. */
    enum Route {
        /** Not QUIC (fixed bit clear): a probe for the path layer. */
        PROBE,
        /** To the server-role codec. */
        SERVER,
        /** To the client-role codec. */
        CLIENT,
        /** Too short or malformed: drop and count. */
        INVALID
    }

    private ConnectionIds() {
    }

    /** A new id for a connection we dial. */
    static byte[] newClientId() {
        byte[] id = new byte[LENGTH];
        RANDOM.nextBytes(id);
        id[0] &= (byte) ~SERVER_BIT;
        return id;
    }

    /** The generator of the server-role codec: random ids with the server bit set. */
    static QuicConnectionIdGenerator serverGenerator() {
        return new QuicConnectionIdGenerator() {
            @Override
            public ByteBuffer newId(int length) {
                byte[] id = new byte[LENGTH];
                RANDOM.nextBytes(id);
                id[0] |= (byte) SERVER_BIT;
                return ByteBuffer.wrap(id);
            }

            @Override
            public ByteBuffer newId(ByteBuffer input, int length) {
                return newId(length);
            }

            @Override
            public int maxConnectionIdLength() {
                return LENGTH;
            }

            @Override
            public boolean isIdempotent() {
                return false;
            }
        };
    }

    /**
     * Classifies the datagram in {@code buf} (from its reader index, not moving it).
     *
     * @param isLiveClientId whether a long-header destination id (offset, length into buf) is a live client id
     */
    static Route route(ByteBuf buf, ClientIdLookup isLiveClientId) {
        int start = buf.readerIndex();
        int readable = buf.readableBytes();
        if (readable < 1) {
            return Route.INVALID;
        }
        int first = buf.getUnsignedByte(start);
        if ((first & 0x40) == 0) {
            return Route.PROBE;
        }
        if ((first & 0x80) == 0) { // short header: 1 byte, then our id
            if (readable < 1 + LENGTH) {
                return Route.INVALID;
            }
            return (buf.getUnsignedByte(start + 1) & SERVER_BIT) != 0 ? Route.SERVER : Route.CLIENT;
        }
        // long header: first byte, version (4), dcid length (1), dcid
        if (readable < 6) {
            return Route.INVALID;
        }
        int dcidLength = buf.getUnsignedByte(start + 5);
        if (dcidLength > 20 || readable < 6 + dcidLength) {
            return Route.INVALID;
        }
        if (dcidLength == LENGTH && isLiveClientId.contains(buf, start + 6)) {
            return Route.CLIENT;
        }
        return Route.SERVER;
    }

    /**
     * Where the first short-header (1-RTT) packet of a datagram starts, after any coalesced long-header packets
     * (RFC 9000 12.2), or -1 when there is none or the datagram cannot be walked. Reads, never moves, the buffer.
     */
    static int shortHeaderAt(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end) {
            int first = buf.getUnsignedByte(i);
            if ((first & 0x80) == 0) {
                return (first & 0x40) != 0 && end - i >= 1 + LENGTH ? i : -1;
            }
            if (end - i < 7 || buf.getInt(i + 1) == 0) {
                return -1; // truncated, or version negotiation
            }
            int type = (first >> 4) & 0x3;
            if (type == 3) {
                return -1; // Retry: the rest of the datagram is the Retry
            }
            int p = i + 5;
            p += 1 + buf.getUnsignedByte(p); // destination id
            if (p >= end) {
                return -1;
            }
            p += 1 + buf.getUnsignedByte(p); // source id
            if (type == 0) { // Initial: token
                long token = varint(buf, p, end);
                if (token < 0) {
                    return -1;
                }
                p += varintLength(buf, p) + (int) Math.min(token, end);
            }
            long length = varint(buf, p, end);
            if (length < 0 || p + varintLength(buf, p) + length > end) {
                return -1;
            }
            i = (int) (p + varintLength(buf, p) + length);
        }
        return -1;
    }

    private static int varintLength(ByteBuf buf, int at) {
        return 1 << (buf.getUnsignedByte(at) >> 6);
    }

    /** The QUIC variable-length integer at {@code at}, or -1 when it runs past {@code end}. */
    private static long varint(ByteBuf buf, int at, int end) {
        if (at >= end) {
            return -1;
        }
        int n = varintLength(buf, at);
        if (at + n > end) {
            return -1;
        }
        long v = buf.getUnsignedByte(at) & 0x3f;
        for (int k = 1; k < n; k++) {
            v = (v << 8) | buf.getUnsignedByte(at + k);
        }
        return v;
    }

    /** Whether a long-header Initial packet (the only kind an unknown sender may start with). */
    static boolean isInitial(ByteBuf buf) {
        if (!buf.isReadable()) {
            return false; // netty flushes a closing connection with an empty write
        }
        int first = buf.getUnsignedByte(buf.readerIndex());
        return (first & 0xc0) == 0xc0 && (first & 0x30) == 0x00;
    }

    /** Whether {@code buf} starts with a 0-RTT packet (long header, type 1). */
    static boolean isZeroRtt(ByteBuf buf) {
        return buf.isReadable() && (buf.getUnsignedByte(buf.readerIndex()) & 0xf0) == 0xd0;
    }

    /**
     * The Source Connection ID of the first Handshake packet (long header, type 2) of a datagram, when it is
     * {@link #LENGTH} bytes long, walking coalesced Initial packets before it; else null. Reads, never moves, the buffer.
     */
    static ByteBufKey handshakeSourceId(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end) {
            int first = buf.getUnsignedByte(i);
            if ((first & 0x80) == 0 || end - i < 7 || buf.getInt(i + 1) == 0) {
                return null;
            }
            int type = (first >> 4) & 0x3;
            int p = i + 5;
            p += 1 + buf.getUnsignedByte(p); // destination id
            if (p >= end) {
                return null;
            }
            int scidLength = buf.getUnsignedByte(p);
            if (type == 2) {
                return scidLength == LENGTH && p + 1 + LENGTH <= end ? ByteBufKey.peek(buf, p + 1, LENGTH) : null;
            }
            if (type != 0) {
                return null; // a 0-RTT packet or a Retry comes before no Handshake packet of ours
            }
            p += 1 + scidLength;
            long token = varint(buf, p, end);
            if (token < 0) {
                return null;
            }
            p += varintLength(buf, p) + (int) Math.min(token, end);
            long length = varint(buf, p, end);
            if (length < 0 || p + varintLength(buf, p) + length > end) {
                return null;
            }
            i = p + varintLength(buf, p) + (int) length;
        }
        return null;
    }

    /** Looks up a {@link #LENGTH}-byte id at an index of a buffer. */
    @FunctionalInterface
    interface ClientIdLookup {
        boolean contains(ByteBuf buf, int index);
    }
}
