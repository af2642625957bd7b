package org.quiver.api;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tickets: the compact, copy-pasteable text form of an {@link EndpointAddr}.
 *
 * <pre>
 * ticket  = "quiver" base32(payload || check)        lowercase base32 without padding
 * payload = version(1) = 0x01
 *           endpoint id (32)
 *           relay URL length (1-2 byte varint, 0 = none) || relay URL (UTF-8)
 *           address count (1, at most 32) || address*
 * address = family (1: 4 or 6) || IP (4 or 16) || port (2, big endian)
 * check   = the first 4 bytes of SHA-256(payload)
 * </pre>
 *
 * The check catches typos and truncation with probability 1 - 2^-32; it is not a signature (a ticket
 * proves nothing about who wrote it: the QUIC handshake proves the peer holds the id's key). Decoding
 * is strict and bounded: unknown versions, trailing bytes and oversized fields are rejected with a
 * message that says what is wrong.
 */
public final class Ticket {
    /** Every ticket starts with this. */
    public static final String PREFIX = "quiver";
    /** Tickets longer than this are rejected before decoding. */
    public static final int MAX_TEXT_LENGTH = 4096;
    static final int VERSION = 1;
    private static final int CHECK_LENGTH = 4;

    private Ticket() {
    }

    /** Encodes {@code addr} as a ticket. */
    public static String encode(EndpointAddr addr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.write(VERSION);
        out.writeBytes(addr.id().toBytes());
        byte[] relay = addr.relayUrl().map(u -> u.toString().getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        writeVarint(out, relay.length);
        out.writeBytes(relay);
        out.write(addr.directAddresses().size());
        for (InetSocketAddress a : addr.directAddresses()) {
            byte[] ip = a.getAddress().getAddress();
            out.write(ip.length == 4 ? 4 : 6);
            out.writeBytes(ip);
            out.write(a.getPort() >>> 8);
            out.write(a.getPort() & 0xff);
        }
        byte[] payload = out.toByteArray();
        byte[] all = Arrays.copyOf(payload, payload.length + CHECK_LENGTH);
        System.arraycopy(check(payload), 0, all, payload.length, CHECK_LENGTH);
        return PREFIX + Base32.encode(all);
    }

    /**
     * Decodes a ticket. Surrounding white space is ignored.
     *
     * @throws IllegalArgumentException with a message that says what is wrong with the ticket
     */
    public static EndpointAddr decode(String ticket) {
        if (ticket == null) {
            throw new IllegalArgumentException("Invalid ticket: null");
        }
        String text = ticket.strip();
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("Invalid ticket: longer than " + MAX_TEXT_LENGTH + " characters");
        }
        if (!text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("Invalid ticket: it must start with '" + PREFIX + "', got '"
                    + EndpointId.abbreviate(text) + "'");
        }
        byte[] all = Base32.decode(text.substring(PREFIX.length()), "Invalid ticket");
        if (all.length < 1 + EndpointId.LENGTH + 2 + CHECK_LENGTH) {
            throw new IllegalArgumentException("Invalid ticket: too short (truncated?)");
        }
        byte[] payload = Arrays.copyOf(all, all.length - CHECK_LENGTH);
        byte[] check = Arrays.copyOfRange(all, payload.length, all.length);
        if (!MessageDigest.isEqual(check, Arrays.copyOf(check(payload), CHECK_LENGTH))) {
            throw new IllegalArgumentException("Invalid ticket: checksum mismatch (a typo, or the ticket was cut short)");
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        int version = in.get() & 0xff;
        if (version != VERSION) {
            throw new IllegalArgumentException("Invalid ticket: version " + version + " is not supported (this Quiver reads version "
                    + VERSION + ")");
        }
        byte[] key = new byte[EndpointId.LENGTH];
        in.get(key);
        EndpointId id;
        try {
            id = EndpointId.fromBytes(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid ticket: " + e.getMessage(), e);
        }
        try {
            int relayLength = readVarint(in);
            if (relayLength > EndpointAddr.MAX_RELAY_URL_BYTES) {
                throw new IllegalArgumentException("relay URL longer than " + EndpointAddr.MAX_RELAY_URL_BYTES + " bytes");
            }
            URI relay = null;
            if (relayLength > 0) {
                byte[] url = new byte[relayLength];
                in.get(url);
                relay = new URI(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(url)).toString());
            }
            int count = in.get() & 0xff;
            if (count > EndpointAddr.MAX_DIRECT_ADDRESSES) {
                throw new IllegalArgumentException(count + " direct addresses, at most " + EndpointAddr.MAX_DIRECT_ADDRESSES);
            }
            List<InetSocketAddress> addresses = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int family = in.get() & 0xff;
                if (family != 4 && family != 6) {
                    throw new IllegalArgumentException("unknown address family " + family);
                }
                byte[] ip = new byte[family == 4 ? 4 : 16];
                in.get(ip);
                int port = in.getShort() & 0xffff;
                addresses.add(new InetSocketAddress(InetAddress.getByAddress(ip), port));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " unexpected trailing bytes");
            }
            return EndpointAddr.of(id, relay, addresses);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("Invalid ticket: truncated", e);
        } catch (URISyntaxException | CharacterCodingException e) {
            throw new IllegalArgumentException("Invalid ticket: bad relay URL: " + e.getMessage(), e);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("Invalid ticket: bad IP address", e); // unreachable: lengths are checked
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("Invalid ticket")) {
                throw e;
            }
            throw new IllegalArgumentException("Invalid ticket: " + e.getMessage(), e);
        }
    }

    private static byte[] check(byte[] payload) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(payload);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Writes 0..16383 as one or two bytes (LEB128). */
    private static void writeVarint(ByteArrayOutputStream out, int value) {
        if (value < 0x80) {
            out.write(value);
        } else {
            out.write(0x80 | (value & 0x7f));
            out.write(value >>> 7);
        }
    }

    private static int readVarint(ByteBuffer in) {
        int first = in.get() & 0xff;
        if (first < 0x80) {
            return first;
        }
        int second = in.get() & 0xff;
        if (second == 0 || second >= 0x80) {
            throw new IllegalArgumentException("bad length encoding");
        }
        return (first & 0x7f) | (second << 7);
    }
}
