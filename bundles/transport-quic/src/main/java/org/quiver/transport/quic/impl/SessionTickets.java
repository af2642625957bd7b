package org.quiver.transport.quic.impl;

import io.netty.handler.codec.quic.SslSessionTicketKey;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.quiver.api.EndpointId;

/**
 * Opens a session ticket this endpoint issued, to learn whom it was issued to before the resumed handshake is over.
 * netty names a connection's peer only once its handshake completes, but 0-RTT data arrives before that; the data
 * is sealed with a key only the holder of the ticket's session has, so the ticket the client presents says who
 * sent it. BoringSSL seals a ticket (with the endpoint's {@link SslSessionTicketKey}) as {@code key name (16) | IV
 * (16) | AES-128-CBC(session) | HMAC-SHA256 over all before (32)}; the session is BoringSSL's ASN.1 encoding, whose
 * field {@code [3]} is the peer's certificate and {@code [26]} the ALPN early data was allowed for.
 *
 * <p>Stateless; called on the event loop (by {@link KeyExchanges} for an Initial that answers a Retry). A ticket
 * that is not ours, does not authenticate or does not parse is null: nothing is decrypted before the HMAC holds.
 */
final class SessionTickets {
    /** Whom a ticket was issued to, and for which ALPN its early data is. */
    record Issued(EndpointId peer, String earlyAlpn) {
    }

    private static final int NAME = 16;
    private static final int IV = 16;
    private static final int MAC = 32;
    /** A session with a certificate is well under this; a larger "ticket" is not looked at. */
    static final int MAX_TICKET = 4096;
    private static final int PEER = 0xa3;
    private static final int EARLY_ALPN = 0xba;

    private SessionTickets() {
    }

    /** Whom {@code ticket} was issued to, if {@code key} sealed it; else null. */
    static Issued open(byte[] ticket, SslSessionTicketKey key) {
        if (ticket.length < NAME + IV + 16 + MAC || ticket.length > MAX_TICKET
                || (ticket.length - NAME - IV - MAC) % 16 != 0
                || !Arrays.equals(ticket, 0, NAME, key.name(), 0, NAME)) {
            return null;
        }
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(key.hmacKey(), "HmacSHA256"));
            hmac.update(ticket, 0, ticket.length - MAC);
            if (!MessageDigest.isEqual(hmac.doFinal(), Arrays.copyOfRange(ticket, ticket.length - MAC, ticket.length))) {
                return null;
            }
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.aesKey(), "AES"), new IvParameterSpec(ticket, NAME, IV));
            return session(aes.doFinal(ticket, NAME + IV, ticket.length - NAME - IV - MAC));
        } catch (GeneralSecurityException | RuntimeException malformed) {
            return null;
        }
    }

    /** The peer and early ALPN of a BoringSSL session encoding, or null without a peer certificate. */
    static Issued session(byte[] der) throws GeneralSecurityException {
        int[] seq = header(der, 0);
        if (seq == null || (der[0] & 0xff) != 0x30) {
            return null;
        }
        int at = seq[0];
        int end = Math.min(der.length, seq[0] + seq[1]);
        EndpointId peer = null;
        String alpn = "";
        while (at < end) {
            int tag = der[at] & 0xff;
            int[] field = header(der, at);
            if (field == null || field[0] + field[1] > end) {
                return null;
            }
            if (tag == PEER) {
                X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der, field[0], field[1]));
                peer = EndpointId.fromPublicKey(cert.getPublicKey());
            } else if (tag == EARLY_ALPN) {
                int[] octets = header(der, field[0]);
                if (octets != null && (der[field[0]] & 0xff) == 0x04 && octets[0] + octets[1] <= field[0] + field[1]) {
                    alpn = new String(der, octets[0], octets[1], java.nio.charset.StandardCharsets.US_ASCII);
                }
            }
            at = field[0] + field[1];
        }
        return peer == null ? null : new Issued(peer, alpn);
    }

    /** The start and length of the contents of the DER element at {@code at}, or null if malformed. */
    private static int[] header(byte[] der, int at) {
        if (at + 2 > der.length) {
            return null;
        }
        int first = der[at + 1] & 0xff;
        if (first < 0x80) {
            return new int[] {at + 2, first};
        }
        int bytes = first & 0x7f;
        if (bytes == 0 || bytes > 3 || at + 2 + bytes > der.length) {
            return null;
        }
        int length = 0;
        for (int i = 0; i < bytes; i++) {
            length = (length << 8) | (der[at + 2 + i] & 0xff);
        }
        return new int[] {at + 2 + bytes, length};
    }
}
