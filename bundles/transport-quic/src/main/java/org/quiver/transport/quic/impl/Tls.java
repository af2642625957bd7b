package org.quiver.transport.quic.impl;

import io.netty.handler.codec.quic.BoringSSLAsyncPrivateKeyMethod;
import io.netty.handler.codec.quic.BoringSSLContextOption;
import io.netty.handler.codec.quic.BoringSSLKeylessManagerFactory;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * QUIC TLS with Ed25519 identities: both sides present the self-signed certificate of their identity key.
 * The private key stays in the identity bundle: BoringSSL asks us to sign, and we ask {@link LocalIdentity}
 * (keyless). The dialer pins the id it dials: the expected id travels as the engine's peer host, and the
 * server's certificate must be that key. The acceptor accepts any valid self-signed Ed25519 certificate
 * and learns the dialer's id from it.
 */
final class Tls {
    private static final String[] SIGNATURE_ALGORITHMS = {"ed25519"};
    /**
     * BoringSSL's certificate callback asks the key manager for an alias by key type ("RSA", "EC", ...), and
     * the JDK's key manager matches that against the certificate's public key algorithm, which for ours is
     * "EdDSA" (or "Ed25519"): map every auth method to it, so the one identity key is always chosen.
     * Without this: CERT_CB_ERROR.
     */
    private static java.util.Map<String, String> serverKeyTypes(LocalIdentity identity) {
        String type = identity.certificate().getPublicKey().getAlgorithm();
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (String auth : new String[] {"RSA", "DHE_RSA", "ECDHE_RSA", "ECDHE_ECDSA", "ECDH_RSA", "ECDH_ECDSA", "DH_RSA"}) {
            m.put(auth, type);
        }
        return m;
    }

    private Tls() {
    }

    static QuicSslContext server(LocalIdentity identity, String[] groups, String... alpns) {
        return QuicSslContextBuilder.forServer(keyless(identity), null)
                .applicationProtocols(alpns)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(new PeerTrust())
                .option(BoringSSLContextOption.SIGNATURE_ALGORITHMS, SIGNATURE_ALGORITHMS)
                .option(BoringSSLContextOption.SERVER_KEY_TYPES, serverKeyTypes(identity))
                .option(BoringSSLContextOption.GROUPS, groups)
                .build();
    }

    static QuicSslContext client(LocalIdentity identity, String[] groups, String... alpns) {
        return QuicSslContextBuilder.forClient()
                .keyManager(keyless(identity), null)
                .applicationProtocols(alpns)
                .trustManager(new PeerTrust())
                .endpointIdentificationAlgorithm(null)
                .option(BoringSSLContextOption.SIGNATURE_ALGORITHMS, SIGNATURE_ALGORITHMS)
                .option(BoringSSLContextOption.CLIENT_KEY_TYPES, java.util.Set.of(identity.certificate().getPublicKey().getAlgorithm()))
                .option(BoringSSLContextOption.GROUPS, groups)
                .build();
    }

    /** The id a peer proved in the handshake of {@code engine}. */
    static EndpointId peerId(SSLEngine engine) throws SSLPeerUnverifiedException {
        java.security.cert.Certificate[] chain = engine.getSession().getPeerCertificates();
        return EndpointId.fromPublicKey(((X509Certificate) chain[0]).getPublicKey());
    }

    private static BoringSSLKeylessManagerFactory keyless(LocalIdentity identity) {
        BoringSSLAsyncPrivateKeyMethod method = new BoringSSLAsyncPrivateKeyMethod() {
            @Override
            public Future<byte[]> sign(SSLEngine engine, int algorithm, byte[] input) {
                if (algorithm != SSL_SIGN_ED25519) {
                    return ImmediateEventExecutor.INSTANCE.newFailedFuture(
                            new IllegalArgumentException("only Ed25519 signatures, asked for 0x" + Integer.toHexString(algorithm)));
                }
                return ImmediateEventExecutor.INSTANCE.newSucceededFuture(identity.sign(input));
            }

            @Override
            public Future<byte[]> decrypt(SSLEngine engine, byte[] input) {
                return ImmediateEventExecutor.INSTANCE.newFailedFuture(new UnsupportedOperationException("Ed25519 keys do not decrypt"));
            }
        };
        try {
            return BoringSSLKeylessManagerFactory.newKeyless(method, identity.certificate());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("Cannot use the identity certificate for TLS", e);
        }
    }

    /** Accepts exactly one self-signed Ed25519 certificate; a dialer also checks it is the pinned id. */
    static final class PeerTrust extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            validate(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            EndpointId actual = validate(chain);
            String expected = engine.getSession().getPeerHost();
            if (expected == null || !expected.equals(actual.toString())) {
                throw new CertificateException("peer is " + actual + ", expected " + expected);
            }
        }

        static EndpointId validate(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length != 1) {
                throw new CertificateException("expected exactly one self-signed certificate");
            }
            X509Certificate cert = chain[0];
            EndpointId id;
            try {
                id = EndpointId.fromPublicKey(cert.getPublicKey());
                cert.verify(cert.getPublicKey());
            } catch (IllegalArgumentException | GeneralSecurityException e) {
                throw new CertificateException("not a self-signed Ed25519 certificate: " + e.getMessage(), e);
            }
            return id;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            validate(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("QUIC only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            validate(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("QUIC only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
