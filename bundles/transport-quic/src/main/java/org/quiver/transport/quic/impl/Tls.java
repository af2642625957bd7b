package org.quiver.transport.quic.impl;

import io.netty.handler.codec.quic.BoringSSLAsyncPrivateKeyMethod;
import io.netty.handler.codec.quic.BoringSSLContextOption;
import io.netty.handler.codec.quic.BoringSSLKeylessManagerFactory;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.SslSessionTicketKey;
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

    /** Session resumption: sessions a client keeps per ALPN ({@code 0}: none) and how long a session is good. */
    record Resumption(int sessions, long lifetimeSeconds) {
        static final Resumption DEFAULT = new Resumption(1_000, 3_600);
        static final Resumption NONE = new Resumption(0, 1);
    }

    /**
     * Server TLS offering {@code alpns}, accepting the key-exchange {@code groups}; session tickets are sealed with
     * {@code ticketKey} (the endpoint's own, random: see {@link #newTicketKey}) and live {@code resumption}'s lifetime.
     */
    static QuicSslContext server(LocalIdentity identity, String[] groups, Resumption resumption, SslSessionTicketKey ticketKey,
                                 String... alpns) {
        QuicSslContext context = QuicSslContextBuilder.forServer(keyless(identity), null)
                .applicationProtocols(alpns)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(new PeerTrust())
                .option(BoringSSLContextOption.SIGNATURE_ALGORITHMS, SIGNATURE_ALGORITHMS)
                .option(BoringSSLContextOption.SERVER_KEY_TYPES, serverKeyTypes(identity))
                .option(BoringSSLContextOption.GROUPS, groups)
                // tickets allow 0-RTT; what arrives in it waits for the handshake unless its handler is replay-safe
                .earlyData(true)
                .build();
        // the endpoint's key, not the new context's own: the context is made anew whenever a handler comes or goes,
        // and tickets issued before that stay good
        context.sessionContext().setTicketKeys(ticketKey);
        context.sessionContext().setSessionTimeout((int) Math.min(Integer.MAX_VALUE, resumption.lifetimeSeconds()));
        return context;
    }

    /** A random key to seal session tickets with: one per endpoint, so no other endpoint can open its tickets. */
    static SslSessionTicketKey newTicketKey() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        byte[] name = new byte[SslSessionTicketKey.NAME_SIZE];
        byte[] hmac = new byte[SslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aes = new byte[SslSessionTicketKey.AES_KEY_SIZE];
        random.nextBytes(name);
        random.nextBytes(hmac);
        random.nextBytes(aes);
        return new SslSessionTicketKey(name, hmac, aes);
    }

    /**
     * Client TLS for {@code alpns} offering the key-exchange {@code groups}; with {@code earlyData}, a resumed handshake
     * may carry data in 0-RTT. Sessions are cached per peer id (the
     * engine's peer host is the id dialed, see {@link Dialer}), at most {@code resumption}'s size: a dial resumes
     * only a session made with the id it dials, whose first handshake proved that id's key.
     */
    static QuicSslContext client(LocalIdentity identity, String[] groups, Resumption resumption, boolean earlyData, String... alpns) {
        QuicSslContext context = QuicSslContextBuilder.forClient()
                .keyManager(keyless(identity), null)
                .applicationProtocols(alpns)
                .trustManager(new PeerTrust())
                .endpointIdentificationAlgorithm(null)
                .option(BoringSSLContextOption.SIGNATURE_ALGORITHMS, SIGNATURE_ALGORITHMS)
                .option(BoringSSLContextOption.CLIENT_KEY_TYPES, java.util.Set.of(identity.certificate().getPublicKey().getAlgorithm()))
                .option(BoringSSLContextOption.GROUPS, groups)
                // a resumed dial may send in 0-RTT (the Dialer asks for it for a replay-safe ALPN only)
                .earlyData(earlyData && resumption.sessions() > 0)
                .build();
        // set on the context, not the builder: the builder takes a size of 0 for "the default" (20,480); the lifetime
        // is enforced by SessionAges on the endpoint's clock as well
        context.sessionContext().setSessionCacheSize(resumption.sessions());
        context.sessionContext().setSessionTimeout((int) Math.min(Integer.MAX_VALUE, resumption.lifetimeSeconds()));
        return context;
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
