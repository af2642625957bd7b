package org.quiver.api;

/**
 * RFC 4648 base32, lowercase, without padding: the text form of {@link EndpointId} and of tickets.
 * Lowercase and unpadded so that an id fits a DNS label and survives case-insensitive systems.
 * Decoding is strict: every character must be in the lowercase alphabet and the unused low bits of
 * the last character must be zero, so that each byte string has exactly one text form.
 */
final class Base32 {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final byte[] DECODE = new byte[128];

    static {
        java.util.Arrays.fill(DECODE, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            DECODE[ALPHABET[i]] = (byte) i;
        }
    }

    private Base32() {
    }

    static int encodedLength(int bytes) {
        return (bytes * 8 + 4) / 5;
    }

    static String encode(byte[] data) {
        StringBuilder out = new StringBuilder(encodedLength(data.length));
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(ALPHABET[(buffer >>> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(ALPHABET[(buffer << (5 - bits)) & 31]);
        }
        return out.toString();
    }

    /**
     * Decodes {@code text}.
     *
     * @throws IllegalArgumentException naming {@code what} and the offending position
     */
    static byte[] decode(CharSequence text, String what) {
        int length = text.length();
        int rest = (length * 5) % 8;
        if (rest >= 5) {
            throw new IllegalArgumentException(what + ": " + length + " characters is not a valid base32 length");
        }
        byte[] out = new byte[length * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int o = 0;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            int v = c < 128 ? DECODE[c] : -1;
            if (v < 0) {
                String hint = (c >= 'A' && c <= 'Z') ? " (must be lowercase)" : "";
                throw new IllegalArgumentException(what + ": invalid character '" + printable(c) + "' at position " + i
                        + hint + "; expected lowercase base32 [a-z2-7]");
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[o++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
            }
        }
        if ((buffer & ((1 << bits) - 1)) != 0) {
            throw new IllegalArgumentException(what + ": the last character is not canonical base32 (non-zero padding bits)");
        }
        return out;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }
}
