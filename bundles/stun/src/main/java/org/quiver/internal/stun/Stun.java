package org.quiver.internal.stun;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * The part of STUN (RFC 8489) a node needs to learn its reflexive address: Binding requests answered with
 * an XOR-MAPPED-ADDRESS and a FINGERPRINT. Requests are checked strictly (header, magic cookie, length,
 * attribute layout); one that is not a well-formed Binding request, or that carries a
 * comprehension-required attribute this responder does not know, gets no answer. Plain Java, stateless, no
 * threads: the relay server answers with it, and endpoints ask with it from their own QUIC socket. It is compiled
 * into both bundles as a private package ({@code -conditionalpackage}), never exported or imported.
 */
public final class Stun {
    static final int MAGIC_COOKIE = 0x2112A442;
    static final int HEADER = 20;
    static final short BINDING_REQUEST = 0x0001;
    static final short BINDING_SUCCESS = 0x0101;
    static final short XOR_MAPPED_ADDRESS = 0x0020;
    static final short FINGERPRINT = (short) 0x8028;
    static final short SOFTWARE = (short) 0x8022;
    private static final int FINGERPRINT_XOR = 0x5354554e;

    private Stun() {
    }

    /** The Binding success response telling {@code from} its address, or null when {@code request} is not a Binding request. */
    public static byte[] bindingResponse(byte[] request, InetSocketAddress from) {
        if (!isBindingRequest(request)) {
            return null;
        }
        byte[] ip = from.getAddress().getAddress();
        int attr = 4 + 4 + ip.length;
        ByteBuffer b = ByteBuffer.allocate(HEADER + attr + 8);
        b.putShort(BINDING_SUCCESS).putShort((short) (attr + 8)).putInt(MAGIC_COOKIE).put(request, 8, 12);
        b.putShort(XOR_MAPPED_ADDRESS).putShort((short) (4 + ip.length)).put((byte) 0).put((byte) (ip.length == 4 ? 1 : 2))
                .putShort((short) (from.getPort() ^ (MAGIC_COOKIE >>> 16)));
        byte[] mask = ByteBuffer.allocate(16).putInt(MAGIC_COOKIE).put(request, 8, 12).array();
        for (int i = 0; i < ip.length; i++) {
            b.put((byte) (ip[i] ^ mask[i]));
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putShort(FINGERPRINT).putShort((short) 4).putInt((int) crc.getValue() ^ FINGERPRINT_XOR);
        return b.array();
    }

    /** Whether {@code m} is a well-formed Binding request this responder answers. */
    static boolean isBindingRequest(byte[] m) {
        if (m.length < HEADER || m.length > 548) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(m);
        if (b.getShort() != BINDING_REQUEST || (b.getShort() & 0xffff) != m.length - HEADER || b.getInt() != MAGIC_COOKIE
                || (m.length - HEADER) % 4 != 0) {
            return false;
        }
        b.position(HEADER);
        while (b.remaining() > 0) {
            if (b.remaining() < 4) {
                return false;
            }
            int type = b.getShort() & 0xffff;
            int length = b.getShort() & 0xffff;
            int padded = (length + 3) & ~3;
            if (padded > b.remaining()) {
                return false;
            }
            if (type < 0x8000 && type != 0x0006 && type != 0x0008 && type != 0x0024 && type != 0x0025) {
                return false; // comprehension-required and unknown (USERNAME, MESSAGE-INTEGRITY, PRIORITY, USE-CANDIDATE are tolerated)
            }
            b.position(b.position() + padded);
        }
        return true;
    }

    /**
     * Whether a datagram looks like STUN at all (RFC 8489 section 5: the two top bits zero, the magic cookie
     * in bytes 4 to 7, a length that is a multiple of 4): cheap, so a socket shared with other protocols
     * can tell STUN apart before parsing it.
     */
    public static boolean looksLikeStun(byte[] d) {
        return d.length >= HEADER && (d[0] & 0xc0) == 0 && ByteBuffer.wrap(d, 4, 4).getInt() == MAGIC_COOKIE && (d.length - HEADER) % 4 == 0;
    }

    /** A Binding request with a random transaction id (for clients and tests). */
    public static byte[] bindingRequest(byte[] transactionId) {
        if (transactionId.length != 12) {
            throw new IllegalArgumentException("a STUN transaction id is 12 bytes");
        }
        return ByteBuffer.allocate(HEADER).putShort(BINDING_REQUEST).putShort((short) 0).putInt(MAGIC_COOKIE).put(transactionId).array();
    }

    /**
     * The XOR-MAPPED-ADDRESS of a Binding success response to {@code transactionId}, or null if
     * {@code response} is not one (wrong transaction, bad fingerprint, malformed).
     */
    public static InetSocketAddress mappedAddress(byte[] response, byte[] transactionId) {
        if (response.length < HEADER + 12 || response.length > 548) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(response);
        if (b.getShort() != BINDING_SUCCESS || (b.getShort() & 0xffff) != response.length - HEADER || b.getInt() != MAGIC_COOKIE) {
            return null;
        }
        for (int i = 0; i < 12; i++) {
            if (b.get() != transactionId[i]) {
                return null;
            }
        }
        InetSocketAddress mapped = null;
        while (b.remaining() >= 4) {
            int start = b.position();
            int type = b.getShort() & 0xffff;
            int length = b.getShort() & 0xffff;
            int padded = (length + 3) & ~3;
            if (padded > b.remaining()) {
                return null;
            }
            if (type == (XOR_MAPPED_ADDRESS & 0xffff) && (length == 8 || length == 20)) {
                b.get();
                int family = b.get();
                int port = (b.getShort() & 0xffff) ^ (MAGIC_COOKIE >>> 16);
                byte[] ip = new byte[length - 4];
                b.get(ip);
                byte[] mask = ByteBuffer.allocate(16).putInt(MAGIC_COOKIE).put(transactionId).array();
                for (int i = 0; i < ip.length; i++) {
                    ip[i] ^= mask[i];
                }
                if ((family == 1) != (ip.length == 4)) {
                    return null;
                }
                try {
                    mapped = new InetSocketAddress(InetAddress.getByAddress(ip), port);
                } catch (UnknownHostException e) {
                    return null;
                }
                b.position(start + 4 + padded);
            } else if (type == (FINGERPRINT & 0xffff) && length == 4) {
                CRC32 crc = new CRC32();
                crc.update(response, 0, start);
                if (b.getInt() != ((int) crc.getValue() ^ FINGERPRINT_XOR)) {
                    return null;
                }
            } else {
                b.position(start + 4 + padded);
            }
        }
        return b.remaining() == 0 ? mapped : null;
    }
}
