package org.quiver.api;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Objects;

/**
 * The identity of a Quiver node: its Ed25519 public key (32 bytes, RFC 8032 encoding).
 *
 * <p>The text form is lowercase RFC 4648 base32 without padding, 52 characters, so it fits a DNS label.
 * {@link #parse(String)} accepts exactly that form and nothing else; {@link #toString()} produces it.
 * Only valid curve points are accepted, so a typo that still decodes to 32 bytes is usually caught.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class EndpointId implements Comparable<EndpointId> {
    /** Length of the raw public key. */
    public static final int LENGTH = 32;
    /** Length of the text form. */
    public static final int TEXT_LENGTH = 52;

    /** DER prefix of an X.509 SubjectPublicKeyInfo holding an Ed25519 key (RFC 8410). */
    private static final byte[] SPKI_PREFIX = {
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
    };
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger D = BigInteger.valueOf(-121665)
            .multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);

    private final byte[] key;
    private final int hash;
    private volatile PublicKey publicKey;

    private EndpointId(byte[] key) {
        this.key = key;
        this.hash = Arrays.hashCode(key);
    }

    /**
     * The id of the given raw Ed25519 public key.
     *
     * @throws IllegalArgumentException if it is not 32 bytes or not a valid Ed25519 point
     */
    public static EndpointId fromBytes(byte[] publicKey) {
        Objects.requireNonNull(publicKey, "publicKey");
        if (publicKey.length != LENGTH) {
            throw new IllegalArgumentException("An EndpointId is a 32-byte Ed25519 public key, got " + publicKey.length + " bytes");
        }
        int slot = Arrays.hashCode(publicKey) & (RECENT.length - 1);
        EndpointId recent = RECENT[slot];
        if (recent != null && Arrays.equals(recent.key, publicKey)) {
            return recent;
        }
        byte[] copy = publicKey.clone();
        BigInteger[] point = decode(copy);
        if (point == null) {
            throw new IllegalArgumentException("Not a valid Ed25519 public key (the bytes do not encode a curve point)");
        }
        if (smallOrder(point)) {
            // the neutral point and the other 7 of order dividing 8: a signature (R = such a point, S = 0) verifies
            // for every message, so anyone could act as such an id
            throw new IllegalArgumentException("Not a usable Ed25519 public key: a point of small order (anyone can sign for it)");
        }
        EndpointId id = new EndpointId(copy);
        RECENT[slot] = id;
        return id;
    }

    /**
     * Ids validated lately, by a hash of their bytes: decoding the point takes ~0.1 ms, and the same peers come back
     * (each handshake checks its peer's id twice, every reconnect again). A slot holds one immutable id, so a race
     * between threads only costs a decoding; keys that collide only evict each other.
     */
    private static final EndpointId[] RECENT = new EndpointId[256];

    /**
     * The id of a JCA Ed25519 public key (as produced by {@code KeyPairGenerator.getInstance("Ed25519")}).
     */
    public static EndpointId fromPublicKey(PublicKey publicKey) {
        byte[] encoded = publicKey.getEncoded();
        if (!"Ed25519".equals(publicKey.getAlgorithm()) && !"EdDSA".equals(publicKey.getAlgorithm())
                || encoded == null || encoded.length != SPKI_PREFIX.length + LENGTH
                || !Arrays.equals(encoded, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
            throw new IllegalArgumentException("Not an Ed25519 public key: " + publicKey.getAlgorithm());
        }
        return fromBytes(Arrays.copyOfRange(encoded, SPKI_PREFIX.length, encoded.length));
    }

    /**
     * Parses the 52-character lowercase base32 text form.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static EndpointId parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.length() != TEXT_LENGTH) {
            throw new IllegalArgumentException("An EndpointId is " + TEXT_LENGTH + " lowercase base32 characters, got "
                    + text.length() + " characters: '" + abbreviate(text) + "'");
        }
        return fromBytes(Base32.decode(text, "EndpointId '" + text + "'"));
    }

    /** The raw 32-byte public key (a copy). */
    public byte[] toBytes() {
        return key.clone();
    }

    /** This key as a JCA public key, for use with {@code Signature.getInstance("Ed25519")}. */
    public PublicKey toPublicKey() {
        PublicKey pk = publicKey;
        if (pk == null) {
            byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + LENGTH);
            System.arraycopy(key, 0, spki, SPKI_PREFIX.length, LENGTH);
            try {
                pk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("The JVM has no Ed25519 support (Java 15 or later is required)", e);
            }
            publicKey = pk;
        }
        return pk;
    }

    /**
     * Whether {@code signature} is this endpoint's Ed25519 signature of {@code message}. Never throws for
     * malformed signatures: they simply do not verify.
     */
    public boolean verify(byte[] message, byte[] signature) {
        if (signature == null || signature.length != 64 || message == null) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(toPublicKey());
            verifier.update(message);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** A short form for logs and tables: the first 10 characters of the text form. */
    public String shortString() {
        return toString().substring(0, 10);
    }

    @Override
    public String toString() {
        return Base32.encode(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndpointId && Arrays.equals(key, ((EndpointId) o).key);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(EndpointId o) {
        return Arrays.compareUnsigned(key, o.key);
    }

    /**
     * RFC 8032 section 5.1.3 decoding: y below p, x recovered from x^2 = (y^2 - 1) / (d y^2 + 1), its sign from
     * the top bit. Returns the affine point {x, y}, or null when the bytes encode none.
     */
    private static BigInteger[] decode(byte[] encoded) {
        byte[] be = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            be[i] = encoded[LENGTH - 1 - i];
        }
        boolean xOdd = (be[0] & 0x80) != 0;
        be[0] &= 0x7f;
        BigInteger y = new BigInteger(1, be);
        if (y.compareTo(P) >= 0) {
            return null;
        }
        BigInteger y2 = y.multiply(y).mod(P);
        BigInteger u = y2.subtract(BigInteger.ONE).mod(P);
        BigInteger v = D.multiply(y2).add(BigInteger.ONE).mod(P);
        BigInteger x2 = u.multiply(v.modInverse(P)).mod(P);
        if (x2.signum() == 0) {
            return xOdd ? null : new BigInteger[] {BigInteger.ZERO, y};
        }
        BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P); // p = 5 mod 8
        if (!x.multiply(x).mod(P).equals(x2)) {
            x = x.multiply(SQRT_M1).mod(P);
            if (!x.multiply(x).mod(P).equals(x2)) {
                return null; // no square root: not on the curve
            }
        }
        if (x.testBit(0) != xOdd) {
            x = P.subtract(x);
        }
        return new BigInteger[] {x, y};
    }

    /** sqrt(-1) mod p. */
    private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);

    /** The y of the four points of order 8 (two of them; the other two have p minus it). */
    private static final BigInteger Y_ORDER_8 = new BigInteger("05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826", 16);
    private static final BigInteger P_MINUS_1 = P.subtract(BigInteger.ONE);

    /**
     * Whether the order of the (valid, decoded) point divides 8, that is whether it is one of the 8 points of the
     * curve's torsion subgroup: (0, 1) of order 1, (0, -1) of order 2, (+-sqrt(-1), 0) of order 4 and the four with
     * y = +-{@link #Y_ORDER_8} of order 8. A y fixes a point up to the sign of x, so comparing y decides it: no
     * arithmetic, where multiplying by 8 took three doublings with six inversions (a tenth of a connection's set-up
     * time; {@code EndpointIdTest} checks both agree).
     */
    private static boolean smallOrder(BigInteger[] point) {
        BigInteger y = point[1];
        return y.signum() == 0 || y.equals(BigInteger.ONE) || y.equals(P_MINUS_1) || y.equals(Y_ORDER_8)
                || y.equals(P.subtract(Y_ORDER_8));
    }

    static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
