package org.quiver.identity.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointId;

class SharedSecretTest {
    @Test
    void bothSidesComputeTheSameSecretAndOthersAnother() {
        Ed25519Identity alice = Ed25519Identity.generate();
        Ed25519Identity bob = Ed25519Identity.generate();
        Ed25519Identity carol = Ed25519Identity.generate();
        byte[] ab = alice.sharedSecret(bob.id());
        assertThat(ab).hasSize(32).isEqualTo(bob.sharedSecret(alice.id()));
        assertThat(alice.sharedSecret(carol.id())).isNotEqualTo(ab);
        assertThat(carol.sharedSecret(bob.id())).isNotEqualTo(ab);
    }

    /**
     * The Ed25519 -> X25519 conversion agrees with the JDK: for RFC 8032's first test key, the u computed
     * from the Ed25519 public key is the X25519 public key of the same scalar.
     */
    @Test
    void montgomeryFormMatchesTheX25519KeyOfTheSameScalar() throws Exception {
        byte[] seed = HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        EndpointId id = EndpointId.fromBytes(HexFormat.of().parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        byte[] scalar = Arrays.copyOf(MessageDigest.getInstance("SHA-512").digest(seed), 32);
        KeyPairGenerator x = KeyPairGenerator.getInstance("X25519");
        x.initialize(NamedParameterSpec.X25519, new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
                System.arraycopy(scalar, 0, bytes, 0, bytes.length);
            }
        });
        BigInteger expected = ((XECPublicKey) x.generateKeyPair().getPublic()).getU();
        assertThat(Ed25519Identity.montgomeryU(id)).isEqualTo(expected);
    }

    @Test
    void aLowOrderKeyIsRefused() {
        // y = 1: the neutral point (a valid encoding, but of order 1)
        byte[] neutral = new byte[32];
        neutral[0] = 1;
        EndpointId weak;
        try {
            weak = EndpointId.fromBytes(neutral);
        } catch (IllegalArgumentException rejectedEarlier) {
            return; // the API already refuses such ids: nothing can reach the agreement
        }
        Ed25519Identity alice = Ed25519Identity.generate();
        assertThatThrownBy(() -> alice.sharedSecret(weak)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("low-order");
    }
}
