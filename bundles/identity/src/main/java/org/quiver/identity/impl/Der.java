package org.quiver.identity.impl;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The few DER (X.690) encodings a self-signed X.509 certificate needs. Writing only: parsing is left to
 * the JDK's certificate factory, which also checks what we write.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0c;
    static final int UTC_TIME = 0x17;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    private Der() {
    }

    static byte[] tlv(int tag, byte[]... contents) {
        int length = 0;
        for (byte[] c : contents) {
            length += c.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        for (byte[] c : contents) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... contents) {
        return tlv(SEQUENCE, contents);
    }

    static byte[] integer(BigInteger value) {
        return tlv(INTEGER, value.toByteArray()); // two's complement, minimal: what DER asks
    }

    static byte[] utf8(String s) {
        return tlv(UTF8_STRING, s.getBytes(StandardCharsets.UTF_8));
    }

    /** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in seconds with Z. */
    static byte[] time(Instant t) {
        boolean utc = t.isBefore(Instant.parse("2050-01-01T00:00:00Z"));
        return tlv(utc ? UTC_TIME : GENERALIZED_TIME, (utc ? UTC : GENERALIZED).format(t).getBytes(StandardCharsets.US_ASCII));
    }

    /** A BIT STRING with no unused bits. */
    static byte[] bitString(byte[] bits) {
        return tlv(BIT_STRING, new byte[] {0}, bits);
    }
}
