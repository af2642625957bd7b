package org.quiver.transport.quic.impl;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reading the CRYPTO data of a QUIC version 1 Initial packet (RFC 9001 5.2 and 5.4): its keys come from the
 * Destination Connection ID of the client's first Initial and a public salt, so anyone on the path, and this
 * endpoint for its own handshakes, can read what the TLS handshake says in the clear in TLS 1.3 anyway (the
 * ClientHello and ServerHello). Quiver reads the ServerHello to learn which key exchange a handshake chose, which
 * netty does not tell.
 *
 * <p>Stateless and thread-safe; each thread (the event loops) keeps one HMAC and two AES ciphers and initialises
 * them for each call (looking them up on every call was about half the time spent here). A packet that is not an
 * Initial, is truncated, or does not authenticate under the keys gives null: never an exception.
 */
final class InitialPackets {
    /** RFC 9001 5.2: the salt of QUIC version 1's Initial secrets. */
    private static final byte[] SALT_V1 = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    private static final int VERSION_1 = 1;

    /** CRYPTO data put together from the packets that carry it, in order of offset, up to a bound. */
    static final class Reassembly {
        private final byte[] bytes;
        private final java.util.BitSet filled = new java.util.BitSet();

        /** One that is finished with: nothing more is kept. */
        static final Reassembly DONE = new Reassembly(0);

        Reassembly(int max) {
            this.bytes = new byte[max];
        }

        /** Adds CRYPTO data at {@code offset}; a byte already received is kept (the first wins, as in quiche). */
        void put(long offset, byte[] from, int start, int length) {
            for (int i = 0; i < length; i++) {
                long at = offset + i;
                if (at >= 0 && at < bytes.length && !filled.get((int) at)) {
                    bytes[(int) at] = from[start + i];
                    filled.set((int) at);
                }
            }
        }

        /** The bytes from offset 0 up to the first one not yet received. */
        byte[] contiguous() {
            return Arrays.copyOf(bytes, filled.nextClearBit(0));
        }
    }

    /** One direction's Initial keys (RFC 9001 5.1). */
    record Keys(byte[] key, byte[] iv, byte[] hp) {
    }

    private InitialPackets() {
    }

    /** The JCA objects one thread reuses. */
    private static final class Primitives {
        final Mac hmac;
        final Cipher ecb;
        final Cipher gcm;

        Primitives() {
            try {
                hmac = Mac.getInstance("HmacSHA256");
                ecb = Cipher.getInstance("AES/ECB/NoPadding");
                gcm = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 and AES are part of every JDK", e);
            }
        }
    }

    private static final ThreadLocal<Primitives> PRIMITIVES = ThreadLocal.withInitial(Primitives::new);

    /** The Initial keys the client ({@code server} false) or the server sends with, for a client's first {@code dcid}. */
    static Keys keys(byte[] dcid, boolean server) {
        byte[] initial = hmac(SALT_V1, dcid); // HKDF-Extract
        byte[] secret = expandLabel(initial, server ? "server in" : "client in", 32);
        return new Keys(expandLabel(secret, "quic key", 16), expandLabel(secret, "quic iv", 12), expandLabel(secret, "quic hp", 16));
    }

    /** The Destination Connection ID of a long-header packet at the start of {@code p}, or null. */
    static byte[] dcid(byte[] p) {
        if (p.length < 6 || (p[0] & 0x80) == 0 || p[5] < 0 || 6 + p[5] > p.length) {
            return null;
        }
        return Arrays.copyOfRange(p, 6, 6 + p[5]);
    }

    /** Whether {@code p} starts with a version 1 Initial that carries a token (it answers a Retry). */
    static boolean hasToken(byte[] p) {
        if (p.length < 7 || (p[0] & 0xf0) != 0xc0 || readInt(p, 1) != VERSION_1) {
            return false;
        }
        try {
            int at = 5;
            at += 1 + (p[at] & 0xff); // dcid
            at += 1 + (p[at] & 0xff); // scid
            return varint(p, at)[0] > 0;
        } catch (ArrayIndexOutOfBoundsException truncated) {
            return false;
        }
    }

    /** Opens the first packet of {@code p} (an Initial of version 1) and adds its CRYPTO data to {@code into}; false if it does not open. */
    static boolean open(byte[] p, Keys keys, Reassembly into) {
        try {
            if (p.length < 7 || (p[0] & 0xf0) != 0xc0 || readInt(p, 1) != VERSION_1) {
                return false; // not a version 1 Initial
            }
            int at = 5;
            at += 1 + (p[at] & 0xff); // dcid
            at += 1 + (p[at] & 0xff); // scid
            long[] v = varint(p, at);
            at = (int) v[1] + (int) v[0]; // token
            v = varint(p, at);
            long length = v[0];
            int pnOffset = (int) v[1];
            if (pnOffset + length > p.length || pnOffset + 4 + 16 > p.length || length < 20) {
                return false;
            }
            Primitives primitives = PRIMITIVES.get();
            Cipher ecb = primitives.ecb;
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.hp(), "AES"));
            byte[] mask = ecb.doFinal(p, pnOffset + 4, 16);
            byte[] header = Arrays.copyOf(p, pnOffset + 4);
            header[0] ^= (byte) (mask[0] & 0x0f);
            int pnLength = (header[0] & 0x03) + 1;
            long pn = 0;
            for (int i = 0; i < pnLength; i++) {
                header[pnOffset + i] ^= mask[1 + i];
                pn = (pn << 8) | (header[pnOffset + i] & 0xff);
            }
            byte[] nonce = keys.iv().clone();
            for (int i = 0; i < 8; i++) {
                nonce[nonce.length - 1 - i] ^= (byte) (pn >>> (8 * i));
            }
            Cipher gcm = primitives.gcm;
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys.key(), "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(header, 0, pnOffset + pnLength);
            byte[] plain = gcm.doFinal(p, pnOffset + pnLength, (int) length - pnLength);
            cryptoFrom(plain, into);
            return true;
        } catch (GeneralSecurityException | RuntimeException notOurs) {
            return false; // does not authenticate (another handshake's keys), or malformed
        }
    }

    /** The CRYPTO frames of a decrypted payload into {@code out} (frames after one it cannot read are ignored). */
    private static void cryptoFrom(byte[] f, Reassembly out) {
        int at = 0;
        while (at < f.length) {
            int type = f[at] & 0xff;
            if (type == 0x00 || type == 0x01) { // PADDING, PING
                at++;
            } else if (type == 0x02 || type == 0x03) { // ACK (with ECN counts)
                long[] v = varint(f, at + 1);
                v = varint(f, (int) v[1]); // delay
                v = varint(f, (int) v[1]); // range count
                long ranges = v[0];
                v = varint(f, (int) v[1]); // first range
                for (long i = 0; i < ranges * 2 && i < f.length; i++) {
                    v = varint(f, (int) v[1]);
                }
                if (type == 0x03) {
                    for (int i = 0; i < 3; i++) {
                        v = varint(f, (int) v[1]);
                    }
                }
                at = (int) v[1];
            } else if (type == 0x06) { // CRYPTO
                long[] offset = varint(f, at + 1);
                long[] length = varint(f, (int) offset[1]);
                int start = (int) length[1];
                int end = Math.addExact(start, (int) length[0]);
                if (end > f.length) {
                    return;
                }
                out.put(offset[0], f, start, end - start);
                at = end;
            } else {
                return; // CONNECTION_CLOSE or anything else: what came before is all we read
            }
        }
    }

    /** A QUIC variable-length integer at {@code at}: {value, index after it}. */
    static long[] varint(byte[] b, int at) {
        int first = b[at] & 0xff;
        int len = 1 << (first >> 6);
        long v = first & 0x3f;
        for (int i = 1; i < len; i++) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return new long[] {v, at + len};
    }

    private static int readInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of one SHA-256 block at most. */
    static byte[] expandLabel(byte[] secret, String label, int length) {
        byte[] full = ("tls13 " + label).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] info = new byte[4 + full.length + 1];
        info[0] = 0;
        info[1] = (byte) length;
        info[2] = (byte) full.length;
        System.arraycopy(full, 0, info, 3, full.length);
        info[3 + full.length] = 0; // context length
        info[info.length - 1] = 1; // HKDF-Expand's block counter
        return Arrays.copyOf(hmac(secret, info), length);
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = PRIMITIVES.get().hmac;
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
