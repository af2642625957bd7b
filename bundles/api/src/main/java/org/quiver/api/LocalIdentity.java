package org.quiver.api;

import java.security.cert.X509Certificate;
import org.osgi.annotation.versioning.ProviderType;

/**
 * This node's identity, as a service of the identity bundle. The secret key never leaves that bundle:
 * others get the id, signatures and the self-signed certificate that QUIC TLS presents.
 */
@ProviderType
public interface LocalIdentity {
    /** This node's id (its Ed25519 public key). */
    EndpointId id();

    /** The Ed25519 signature (64 bytes) of {@code message}; verify it with {@link EndpointId#verify}. */
    byte[] sign(byte[] message);

    /**
     * A 32-byte secret that only this node and {@code peer} can compute: X25519 (RFC 7748) of the two identity
     * keys in their Montgomery form, the same from either side. For MACs between the two (Quiver's path
     * probes): a MAC under this key costs under 1 µs, a signature and its check hundreds of times more.
     *
     * @throws IllegalArgumentException if {@code peer}'s key has low order (no secret would be shared)
     */
    byte[] sharedSecret(EndpointId peer);

    /** A self-signed X.509 certificate of the identity key, for QUIC TLS. */
    X509Certificate certificate();
}
