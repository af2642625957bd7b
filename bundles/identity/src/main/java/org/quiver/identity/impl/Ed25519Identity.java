package org.quiver.identity.impl;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * An Ed25519 identity held in memory: the JCA private key (never handed out), its {@link EndpointId}, and
 * a self-signed certificate made once at construction. Immutable; safe for concurrent use.
 */
public final class Ed25519Identity implements LocalIdentity {
    /** RFC 5280 4.1.2.5: "no well-defined expiration date". Peers are checked by key, not by validity. */
    private static final Date NO_EXPIRY = Date.from(Instant.parse("9999-12-31T23:59:59Z"));

    private final PrivateKey privateKey;
    private final EndpointId id;
    private final X509Certificate certificate;

    private Ed25519Identity(PrivateKey privateKey, EndpointId id) {
        this.privateKey = privateKey;
        this.id = id;
        this.certificate = selfSigned();
    }

    /** A new random identity. */
    public static Ed25519Identity generate() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new Ed25519Identity(pair.getPrivate(), EndpointId.fromPublicKey(pair.getPublic()));
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
        if (seed.length != 32) {
            throw new GeneralSecurityException("an Ed25519 seed is 32 bytes, got " + seed.length);
        }
        byte[] publicKey = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        return new Ed25519Identity(key, EndpointId.fromBytes(publicKey));
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
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(privateKey);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }

    @Override
    public String toString() {
        return "LocalIdentity{" + id + "}";
    }

    private X509Certificate selfSigned() {
        X500Name name = new X500Name("CN=" + id);
        Date notBefore = Date.from(Instant.now().minus(Duration.ofDays(1))); // tolerate clock skew
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
                notBefore, NO_EXPIRY, name, id.toPublicKey());
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("Ed25519").build(privateKey)));
        } catch (OperatorCreationException | java.security.cert.CertificateException e) {
            throw new IllegalStateException("Could not build the self-signed certificate", e);
        }
    }
}
