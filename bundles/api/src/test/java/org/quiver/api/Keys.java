package org.quiver.api;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.GeneralSecurityException;

final class Keys {
    private Keys() {
    }

    static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static EndpointId randomId() {
        return EndpointId.fromPublicKey(ed25519().getPublic());
    }
}
