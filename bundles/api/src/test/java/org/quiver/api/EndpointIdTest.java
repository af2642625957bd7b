package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointIdTest {
    /** RFC 8032 section 7.1, test 1: the public key of the all-0x9d... secret key. */
    private static final String RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    @Test
    void textFormIs52LowercaseBase32CharactersAndRoundTrips() {
        EndpointId id = Keys.randomId();
        String text = id.toString();
        assertThat(text).hasSize(52).matches("[a-z2-7]{52}");
        assertThat(EndpointId.parse(text)).isEqualTo(id).hasSameHashCodeAs(id);
        assertThat(EndpointId.fromBytes(id.toBytes())).isEqualTo(id);
        assertThat(id.shortString()).isEqualTo(text.substring(0, 10));
    }

    @Test
    void knownVectorEncodesAsRfc4648Base32() {
        EndpointId id = EndpointId.fromBytes(hex(RFC8032_PUBLIC));
        // Computed independently: base32 (RFC 4648) of the RFC 8032 test-1 public key, lowercase, no padding.
        assertThat(id.toString()).isEqualTo("25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkena");
    }

    @Test
    void parseRejectsWrongLengthWithTheLengthInTheMessage() {
        assertThatThrownBy(() -> EndpointId.parse("abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("52 lowercase base32 characters, got 3");
    }

    @Test
    void parseRejectsUppercaseAndSaysSo() {
        String upper = Keys.randomId().toString().toUpperCase(java.util.Locale.ROOT);
        assertThatThrownBy(() -> EndpointId.parse(upper))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be lowercase");
    }

    @Test
    void parseRejectsCharactersOutsideTheAlphabetWithThePosition() {
        String text = Keys.randomId().toString();
        String bad = text.substring(0, 7) + "1" + text.substring(8);
        assertThatThrownBy(() -> EndpointId.parse(bad))
                .hasMessageContaining("invalid character '1' at position 7");
        String nonAscii = text.substring(0, 51) + "é";
        assertThatThrownBy(() -> EndpointId.parse(nonAscii)).hasMessageContaining("position 51");
        String control = text.substring(0, 51) + "\n";
        assertThatThrownBy(() -> EndpointId.parse(control)).hasMessageContaining("\\u000a");
    }

    @Test
    void parseRejectsNonCanonicalLastCharacter() {
        String text = Keys.randomId().toString();
        // the last character holds 1 data bit and 4 zero bits: setting a low bit must be refused
        char last = text.charAt(51);
        char other = (last == 'a') ? 'b' : (last == 'q' ? 'r' : (char) (last + 1));
        assertThatThrownBy(() -> EndpointId.parse(text.substring(0, 51) + other))
                .hasMessageContaining("not canonical");
    }

    @Test
    void rejectsBytesThatAreNotAPoint() {
        // y = 2 is not on the curve: (y^2 - 1)/(d y^2 + 1) has no square root mod p
        byte[] notAPoint = new byte[32];
        notAPoint[0] = 2;
        assertThatThrownBy(() -> EndpointId.fromBytes(notAPoint)).hasMessageContaining("not encode a curve point");
        // y >= p
        byte[] tooLarge = new byte[32];
        Arrays.fill(tooLarge, (byte) 0xff);
        tooLarge[31] = 0x7f;
        assertThatThrownBy(() -> EndpointId.fromBytes(tooLarge)).hasMessageContaining("not encode a curve point");
        // y = 1, x = 0 with the sign bit set is not canonical
        byte[] negativeZero = new byte[32];
        negativeZero[0] = 1;
        negativeZero[31] = (byte) 0x80;
        assertThatThrownBy(() -> EndpointId.fromBytes(negativeZero)).hasMessageContaining("not encode a curve point");
        assertThatThrownBy(() -> EndpointId.fromBytes(new byte[31])).hasMessageContaining("got 31 bytes");
    }

    /**
     * The 8 points of order dividing 8 (RFC 8032 encodings): a signature with R = such a point and S = 0 verifies
     * for every message under such a key, so nobody may be addressed by one.
     */
    @Test
    void refusesPointsOfSmallOrder() throws Exception {
        byte[] neutral = new byte[32];
        neutral[0] = 1;                                  // (0, 1): order 1
        byte[] minusOne = new byte[32];
        Arrays.fill(minusOne, (byte) 0xff);
        minusOne[0] = (byte) 0xec;
        minusOne[31] = 0x7f;                             // (0, -1): order 2
        byte[] zeroEven = new byte[32];                  // (sqrt(-1), 0) and its negation: order 4
        byte[] zeroOdd = new byte[32];
        zeroOdd[31] = (byte) 0x80;
        byte[] eight1 = hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"); // order 8
        byte[] eight2 = eight1.clone();
        eight2[31] |= (byte) 0x80;
        byte[] eight3 = hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
        byte[] eight4 = eight3.clone();
        eight4[31] |= (byte) 0x80;
        for (byte[] weak : List.of(neutral, minusOne, zeroEven, zeroOdd, eight1, eight2, eight3, eight4)) {
            assertThatThrownBy(() -> EndpointId.fromBytes(weak)).as(HexFormat.of().formatHex(weak))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("small order");
            assertThatThrownBy(() -> EndpointId.parse(Base32.encode(weak))).hasMessageContaining("small order");
        }
        // and why: the JDK verifies (R = neutral, S = 0) for any message under the neutral key
        byte[] spki = HexFormat.of().parseHex("302a300506032b6570032100" + HexFormat.of().formatHex(neutral));
        java.security.PublicKey pk = java.security.KeyFactory.getInstance("Ed25519").generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
        java.security.Signature v = java.security.Signature.getInstance("Ed25519");
        v.initVerify(pk);
        v.update("anything at all".getBytes());
        byte[] forged = new byte[64];
        forged[0] = 1;
        boolean verifies;
        try {
            verifies = v.verify(forged);
        } catch (java.security.SignatureException refused) {
            verifies = false;
        }
        System.out.println("JDK Ed25519 accepts the forged signature under the neutral key: " + verifies);
        // real keys are never of small order: 1,000 random ones all pass
        for (int i = 0; i < 1000; i++) {
            EndpointId ok = Keys.randomId();
            assertThat(EndpointId.fromBytes(ok.toBytes())).isEqualTo(ok);
        }
    }

    /**
     * The small-order check compares y with the torsion points' (no arithmetic); here it is checked against the
     * definition, 8 P = (0, 1) by three doublings, for the 8 torsion encodings and for every decodable one of
     * 2,000 random encodings, each also with the sign bit flipped.
     */
    @Test
    void smallOrderByComparisonAgreesWithMultiplyingByEight() {
        java.util.Random random = new java.util.Random(255);
        List<byte[]> encodings = new java.util.ArrayList<>();
        for (String weak : List.of("0100000000000000000000000000000000000000000000000000000000000000",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "0000000000000000000000000000000000000000000000000000000000000000",
                "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")) {
            encodings.add(hex(weak));
        }
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[32];
            random.nextBytes(b);
            encodings.add(b);
        }
        int decodable = 0;
        int small = 0;
        for (byte[] e : encodings) {
            for (int sign = 0; sign < 2; sign++) {
                byte[] candidate = e.clone();
                candidate[31] = (byte) (sign == 0 ? candidate[31] & 0x7f : candidate[31] | 0x80);
                java.math.BigInteger[] point = referenceDecode(candidate);
                if (point == null) {
                    continue;
                }
                decodable++;
                boolean bySum = timesEightIsNeutral(point);
                small += bySum ? 1 : 0;
                if (bySum) {
                    assertThatThrownBy(() -> EndpointId.fromBytes(candidate)).hasMessageContaining("small order");
                } else {
                    assertThat(EndpointId.fromBytes(candidate).toBytes()).isEqualTo(candidate);
                }
            }
        }
        assertThat(small).isEqualTo(8);
        assertThat(decodable).isGreaterThan(1500); // about half of all y decode, each with both signs
    }

    @Test
    void aRecentlyValidatedIdIsReusedAndACollidingOneIsStillChecked() {
        EndpointId id = Keys.randomId();
        byte[] bytes = id.toBytes();
        EndpointId first = EndpointId.fromBytes(bytes);
        bytes[0] ^= 1; // the caller's array changes after the call: the id does not
        assertThat(first.toBytes()).isEqualTo(id.toBytes());
        assertThat(EndpointId.fromBytes(id.toBytes())).isSameAs(first);
        // 2,000 other ids pass through the 256 slots; small-order keys are refused every time, never remembered
        byte[] neutral = new byte[32];
        neutral[0] = 1;
        for (int i = 0; i < 2000; i++) {
            EndpointId other = Keys.randomId();
            assertThat(EndpointId.fromBytes(other.toBytes())).isEqualTo(other);
            assertThatThrownBy(() -> EndpointId.fromBytes(neutral)).hasMessageContaining("small order");
        }
        assertThat(EndpointId.fromBytes(id.toBytes())).isEqualTo(id);
    }

    private static final java.math.BigInteger P = java.math.BigInteger.TWO.pow(255).subtract(java.math.BigInteger.valueOf(19));

    /** RFC 8032 5.1.3, by the book (the test's own, so that it does not share a mistake with the class). */
    private static java.math.BigInteger[] referenceDecode(byte[] le) {
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = le[31 - i];
        }
        boolean xOdd = (be[0] & 0x80) != 0;
        be[0] &= 0x7f;
        java.math.BigInteger y = new java.math.BigInteger(1, be);
        if (y.compareTo(P) >= 0) {
            return null;
        }
        java.math.BigInteger d = java.math.BigInteger.valueOf(-121665).multiply(java.math.BigInteger.valueOf(121666).modInverse(P)).mod(P);
        java.math.BigInteger u = y.pow(2).subtract(java.math.BigInteger.ONE).mod(P);
        java.math.BigInteger v = d.multiply(y.pow(2)).add(java.math.BigInteger.ONE).mod(P);
        java.math.BigInteger x = u.multiply(v.pow(3)).multiply(u.multiply(v.pow(7)).modPow(P.subtract(java.math.BigInteger.valueOf(5)).shiftRight(3), P)).mod(P);
        java.math.BigInteger vx2 = v.multiply(x.pow(2)).mod(P);
        if (vx2.equals(P.subtract(u).mod(P))) {
            x = x.multiply(java.math.BigInteger.TWO.modPow(P.subtract(java.math.BigInteger.ONE).shiftRight(2), P)).mod(P);
        } else if (!vx2.equals(u)) {
            return null;
        }
        if (x.signum() == 0 && xOdd) {
            return null;
        }
        if (x.testBit(0) != xOdd) {
            x = P.subtract(x);
        }
        return new java.math.BigInteger[] {x, y};
    }

    /** 8 P by three doublings on -x^2 + y^2 = 1 + d x^2 y^2 (affine, complete): whether it is (0, 1). */
    private static boolean timesEightIsNeutral(java.math.BigInteger[] p) {
        java.math.BigInteger x = p[0];
        java.math.BigInteger y = p[1];
        for (int i = 0; i < 3; i++) {
            java.math.BigInteger xx = x.multiply(x).mod(P);
            java.math.BigInteger yy = y.multiply(y).mod(P);
            java.math.BigInteger nx = java.math.BigInteger.TWO.multiply(x).multiply(y).multiply(yy.subtract(xx).mod(P).modInverse(P)).mod(P);
            java.math.BigInteger ny = yy.add(xx).multiply(java.math.BigInteger.TWO.add(xx).subtract(yy).mod(P).modInverse(P)).mod(P);
            x = nx;
            y = ny;
        }
        return x.signum() == 0 && y.equals(java.math.BigInteger.ONE);
    }

    @Test
    void fromPublicKeyRejectsOtherAlgorithms() throws Exception {
        KeyPair rsa = java.security.KeyPairGenerator.getInstance("EC").generateKeyPair();
        assertThatThrownBy(() -> EndpointId.fromPublicKey(rsa.getPublic())).hasMessageContaining("Not an Ed25519 public key");
    }

    @Test
    void verifiesSignaturesOfItsKeyOnly() throws Exception {
        KeyPair pair = Keys.ed25519();
        EndpointId id = EndpointId.fromPublicKey(pair.getPublic());
        byte[] message = "hello quiver".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(pair.getPrivate());
        signer.update(message);
        byte[] signature = signer.sign();

        assertThat(id.verify(message, signature)).isTrue();
        assertThat(id.verify("hello quiveR".getBytes(java.nio.charset.StandardCharsets.UTF_8), signature)).isFalse();
        assertThat(Keys.randomId().verify(message, signature)).isFalse();
        signature[5] ^= 1;
        assertThat(id.verify(message, signature)).isFalse();
        assertThat(id.verify(message, new byte[63])).isFalse();
        assertThat(id.verify(message, null)).isFalse();
        assertThat(id.verify(null, new byte[64])).isFalse();
    }

    @Test
    void ordersByBytesUnsigned() {
        EndpointId one = Keys.randomId();
        EndpointId other = Keys.randomId();
        assertThat(one.compareTo(one)).isZero();
        assertThat(Integer.signum(one.compareTo(other))).isEqualTo(-Integer.signum(other.compareTo(one)));
        assertThat(one).isNotEqualTo(other).isNotEqualTo("x");
    }

    static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
