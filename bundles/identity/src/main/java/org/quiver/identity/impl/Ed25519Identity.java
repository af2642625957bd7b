package org.quiver.identity.impl;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * An Ed25519 identity held in memory: the JCA private key and its seed (never handed out), its {@link EndpointId},
 * and a self-signed certificate made once at construction. Immutable; safe for concurrent use.
 *
 * <p>Keys are the JDK's (Java 15+): a key is loaded by regenerating the key pair from its 32-byte seed, and the
 * certificate is a short fixed DER structure checked by the JDK's X.509 parser. Signing is Bouncy Castle's RFC 8032
 * code, compiled into this bundle (only the packages it reaches): the JDK 17 signer multiplies the base point
 * without precomputed tables and takes ~0.55 ms a signature, Bouncy Castle's ~0.035 ms, and every full QUIC
 * handshake signs once on each side. Ed25519 signatures are deterministic: both give the same bytes
 * ({@code IdentityTest.signaturesAreTheJdksBytesAndVerify}).
 */
public final class Ed25519Identity implements LocalIdentity {
    /** RFC 5280 4.1.2.5: "no well-defined expiration date". Peers are checked by key, not by validity. */
    private static final Instant NO_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");
    /** id-Ed25519, RFC 8410: the AlgorithmIdentifier of both the key and the signature. */
    private static final byte[] ED25519_ALGORITHM = Der.sequence(Der.tlv(Der.OID, new byte[] {0x2b, 0x65, 0x70}));
    /** id-at-commonName. */
    private static final byte[] COMMON_NAME = Der.tlv(Der.OID, new byte[] {0x55, 0x04, 0x03});

    /** 2^255 - 19. */
    private static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));

    private final PrivateKey privateKey;
    /** The RFC 8032 private key (32 bytes) and public key that signing takes. */
    private final byte[] seed;
    private final byte[] publicKey;
    private final PrivateKey agreementKey;
    private final EndpointId id;
    private final X509Certificate certificate;

    private Ed25519Identity(KeyPair pair) {
        this.privateKey = pair.getPrivate();
        this.id = EndpointId.fromPublicKey(pair.getPublic());
        this.seed = ((EdECPrivateKey) privateKey).getBytes()
                .orElseThrow(() -> new IllegalStateException("the private key has no seed bytes"));
        this.publicKey = id.toBytes();
        this.agreementKey = agreementKey(seed);
        this.certificate = selfSigned();
    }

    /**
     * The X25519 private key of an Ed25519 seed: the first half of SHA-512(seed), the same scalar Ed25519
     * signs with (RFC 8032 5.1.5; X25519 clamps it the same way, RFC 7748 5).
     */
    static PrivateKey agreementKey(byte[] seed) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-512").digest(seed);
            byte[] scalar = java.util.Arrays.copyOf(h, 32);
            java.util.Arrays.fill(h, (byte) 0);
            return KeyFactory.getInstance("X25519").generatePrivate(new java.security.spec.XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The JVM has no X25519 support", e);
        }
    }

    /**
     * The Montgomery u of an Ed25519 public key (RFC 7748 4.1): u = (1 + y) / (1 - y) mod p.
     *
     * @throws IllegalArgumentException for y = 1 (the neutral point: no such u)
     */
    static BigInteger montgomeryU(EndpointId id) {
        byte[] le = id.toBytes();
        le[31] &= 0x7f; // drop the sign of x
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = le[31 - i];
        }
        BigInteger y = new BigInteger(1, be).mod(P);
        BigInteger denominator = BigInteger.ONE.subtract(y).mod(P);
        if (denominator.signum() == 0) {
            throw new IllegalArgumentException("Endpoint " + id.shortString() + " has a low-order key: no secret can be shared with it");
        }
        return BigInteger.ONE.add(y).multiply(denominator.modInverse(P)).mod(P);
    }

    @Override
    public byte[] sharedSecret(EndpointId peer) {
        try {
            java.security.PublicKey theirs = KeyFactory.getInstance("X25519")
                    .generatePublic(new java.security.spec.XECPublicKeySpec(NamedParameterSpec.X25519, montgomeryU(peer)));
            javax.crypto.KeyAgreement agreement = javax.crypto.KeyAgreement.getInstance("X25519");
            agreement.init(agreementKey);
            agreement.doPhase(theirs, true);
            byte[] secret = agreement.generateSecret();
            boolean zero = true;
            for (byte b : secret) {
                zero &= b == 0;
            }
            if (zero) {
                throw new IllegalArgumentException("Endpoint " + peer.shortString() + " has a low-order key: no secret can be shared with it");
            }
            return secret;
        } catch (java.security.InvalidKeyException e) {
            throw new IllegalArgumentException("Endpoint " + peer.shortString() + " has a key no secret can be shared with: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 key agreement failed", e);
        }
    }

    /** A new random identity. */
    public static Ed25519Identity generate() {
        try {
            return new Ed25519Identity(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The JVM has no Ed25519 support (Java 15 or later is required)", e);
        }
    }

    /**
     * The identity of a PKCS#8-encoded Ed25519 private key.
     *
     * @throws GeneralSecurityException if it is not one
     */
    public static Ed25519Identity fromPkcs8(byte[] pkcs8) throws GeneralSecurityException {
        PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        byte[] seed = ((EdECPrivateKey) key).getBytes()
                .orElseThrow(() -> new GeneralSecurityException("the private key has no seed bytes"));
        return new Ed25519Identity(fromSeed(seed));
    }

    /**
     * The key pair of a 32-byte RFC 8032 seed. The JDK has no API that derives a public key from a private
     * one, but its generator turns exactly 32 random bytes into the seed: we hand it ours.
     */
    static KeyPair fromSeed(byte[] seed) throws GeneralSecurityException {
        if (seed.length != 32) {
            throw new GeneralSecurityException("an Ed25519 seed is 32 bytes, got " + seed.length);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
        generator.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
        return generator.generateKeyPair();
    }

    /** The PKCS#8 encoding of the private key, for the key file only. */
    byte[] pkcs8() {
        return privateKey.getEncoded();
    }

    @Override
    public EndpointId id() {
        return id;
    }

    @Override
    public byte[] sign(byte[] message) {
        byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, signature, 0);
        return signature;
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }

    @Override
    public String toString() {
        return "LocalIdentity{" + id + "}";
    }

    /** An X.509 v3 certificate (RFC 5280) of the identity key, signed by itself, subject and issuer CN=id. */
    private X509Certificate selfSigned() {
        byte[] name = Der.sequence(Der.tlv(Der.SET, Der.sequence(COMMON_NAME, Der.utf8(id.toString()))));
        Instant notBefore = Instant.now().minus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS); // clock skew
        byte[] tbs = Der.sequence(
                Der.tlv(0xa0, Der.integer(BigInteger.TWO)), // [0] version v3
                Der.integer(new BigInteger(63, new SecureRandom()).add(BigInteger.ONE)),
                ED25519_ALGORITHM,
                name,
                Der.sequence(Der.time(notBefore), Der.time(NO_EXPIRY)),
                name,
                id.toPublicKey().getEncoded());
        byte[] der = Der.sequence(tbs, ED25519_ALGORITHM, Der.bitString(sign(tbs)));
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException("Could not build the self-signed certificate", e);
        }
    }

    /** Hands out one fixed seed, once per request of 32 bytes; anything else is a misuse. */
    private static final class SeedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;

        SeedRandom(byte[] seed) {
            super(new SecureRandomSpi() {
                private static final long serialVersionUID = 1L;

                @Override
                protected void engineSetSeed(byte[] s) {
                    throw new UnsupportedOperationException("fixed seed");
                }

                @Override
                protected void engineNextBytes(byte[] bytes) {
                    if (bytes.length != seed.length) {
                        throw new IllegalStateException("expected a request for " + seed.length + " bytes, got " + bytes.length);
                    }
                    System.arraycopy(seed, 0, bytes, 0, bytes.length);
                }

                @Override
                protected byte[] engineGenerateSeed(int n) {
                    throw new UnsupportedOperationException("fixed seed");
                }
            }, null);
        }
    }
}
