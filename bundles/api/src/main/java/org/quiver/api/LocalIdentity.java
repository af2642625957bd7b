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

    /** A self-signed X.509 certificate of the identity key, for QUIC TLS. */
    X509Certificate certificate();
}
