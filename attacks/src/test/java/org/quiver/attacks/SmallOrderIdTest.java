package org.quiver.attacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.quiver.api.EndpointId;
import org.quiver.identity.Identities;

/**
 * Attack 4: an id that is a point of small order (the neutral point), for which the signature (R = that point, S = 0)
 * verifies for every message, so anyone can act as it. Before, it passed as an id, and dialing it made the path
 * layer's periodic tick throw and stop for every peer. Now no such id can be made: not from the text a user pastes
 * (how a stranger would hand it out), not from the bytes of a record or a relay frame.
 */
class SmallOrderIdTest {
    /** RFC 4648 base32, lower case, no padding: the text form of an id. */
    private static String base32(byte[] data) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    @Test
    void theNeutralPointIsRefusedAsAnIdFromTextAndBytes() {
        EndpointId real = Identities.ephemeral().id();
        assertThat(EndpointId.parse(base32(real.toBytes()))).as("the encoder is the ids' own").isEqualTo(real);
        byte[] neutral = new byte[32];
        neutral[0] = 1;
        assertThatThrownBy(() -> EndpointId.fromBytes(neutral)).hasMessageContaining("small order");
        assertThatThrownBy(() -> EndpointId.parse(base32(neutral))).hasMessageContaining("small order");
    }
}
