package org.quiver.internal.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StunTest {
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 5769 2.2: the IPv4 response's XOR-MAPPED-ADDRESS for 192.0.2.1:32853 and its transaction id. */
    @Test
    void xorMappedAddressMatchesRfc5769() {
        byte[] txid = HEX.parseHex("b7e7a701bc34d686fa87dfae");
        byte[] response = Stun.bindingResponse(Stun.bindingRequest(txid), new InetSocketAddress("192.0.2.1", 32853));
        // header: success, length 12 + 8, cookie, transaction id
        assertThat(HEX.formatHex(response, 0, 20)).isEqualTo("010100142112a442b7e7a701bc34d686fa87dfae");
        // XOR-MAPPED-ADDRESS as RFC 5769 gives it: family 1, x-port a147, x-address e112a643
        assertThat(HEX.formatHex(response, 20, 32)).isEqualTo("0020000800" + "01a147e112a643");
        assertThat(Stun.mappedAddress(response, txid)).isEqualTo(new InetSocketAddress("192.0.2.1", 32853));
    }

    /** RFC 5769 2.3: IPv6, 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
    @Test
    void xorMappedIpv6AddressMatchesRfc5769() {
        byte[] txid = HEX.parseHex("b7e7a701bc34d686fa87dfae");
        InetSocketAddress from = new InetSocketAddress("2001:db8:1234:5678:11:2233:4455:6677", 32853);
        byte[] response = Stun.bindingResponse(Stun.bindingRequest(txid), from);
        assertThat(HEX.formatHex(response, 20, 44)).isEqualTo("00200014" + "0002a147" + "0113a9faa5d3f179bc25f4b5bed2b9d9");
        assertThat(Stun.mappedAddress(response, txid)).isEqualTo(from);
    }

    @Test
    void onlyWellFormedBindingRequestsAreAnswered() {
        byte[] txid = new byte[12];
        byte[] ok = Stun.bindingRequest(txid);
        InetSocketAddress from = new InetSocketAddress("198.18.0.1", 1);
        assertThat(Stun.bindingResponse(ok, from)).isNotNull();
        byte[] badCookie = ok.clone();
        badCookie[4] ^= 1;
        assertThat(Stun.bindingResponse(badCookie, from)).isNull();
        byte[] badLength = ok.clone();
        badLength[3] = 4;
        assertThat(Stun.bindingResponse(badLength, from)).isNull();
        byte[] notBinding = ok.clone();
        notBinding[1] = 0x02;
        assertThat(Stun.bindingResponse(notBinding, from)).isNull();
        // a SOFTWARE attribute (comprehension-optional) is fine, an unknown comprehension-required one is not
        byte[] software = java.nio.ByteBuffer.allocate(28).put(ok).putShort(Stun.SOFTWARE).putShort((short) 3).put(new byte[] {'q', 'v', 'r', 0}).array();
        software[3] = 8;
        assertThat(Stun.bindingResponse(software, from)).isNotNull();
        byte[] unknown = software.clone();
        unknown[20] = 0x00;
        unknown[21] = 0x33;
        assertThat(Stun.bindingResponse(unknown, from)).isNull();
        assertThat(Stun.bindingResponse(new byte[5], from)).isNull();
        // responses: another transaction or a broken fingerprint are not ours
        byte[] response = Stun.bindingResponse(ok, from);
        assertThat(Stun.mappedAddress(response, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).isNull();
        byte[] broken = response.clone();
        broken[broken.length - 1] ^= 1;
        assertThat(Stun.mappedAddress(broken, txid)).isNull();
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(0x5eed_0031L);
        InetSocketAddress from = new InetSocketAddress("198.18.0.1", 1);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[random.nextInt(80)];
            random.nextBytes(junk);
            if (junk.length >= 8 && random.nextBoolean()) {
                junk[0] = 0;
                junk[1] = 1;
                junk[4] = 0x21;
                junk[5] = 0x12;
                junk[6] = (byte) 0xa4;
                junk[7] = 0x42;
            }
            Stun.bindingResponse(junk, from);
            Stun.mappedAddress(junk, new byte[12]);
        }
    }
    @Test
    void looksLikeStunTellsStunFromQuic() {
        byte[] txid = new byte[12];
        assertThat(Stun.looksLikeStun(Stun.bindingRequest(txid))).isTrue();
        byte[] quicLongHeader = new byte[40];
        quicLongHeader[0] = (byte) 0xc3;
        assertThat(Stun.looksLikeStun(quicLongHeader)).isFalse();
        assertThat(Stun.looksLikeStun(new byte[8])).as("shorter than a header").isFalse();
        byte[] odd = java.util.Arrays.copyOf(Stun.bindingRequest(txid), 22);
        assertThat(Stun.looksLikeStun(odd)).as("a length that is not a multiple of 4").isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Stun.bindingRequest(new byte[11]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12 bytes");
    }

    @Test
    void anAttributeItDoesNotKnowIsSkippedAndATruncatedOneRefused() {
        byte[] txid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        InetSocketAddress from = new InetSocketAddress("198.18.0.7", 4242);
        byte[] response = Stun.bindingResponse(Stun.bindingRequest(txid), from);
        // SOFTWARE (0x8022, comprehension-optional) with 3 bytes of value, padded to 4, before the fingerprint
        int fp = response.length - 8;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(response.length + 8);
        b.put(response, 0, fp).putShort((short) 0x8022).putShort((short) 3).put(new byte[] {'q', 'v', 'r', 0});
        b.put(response, fp, 8);
        byte[] withSoftware = b.array();
        java.nio.ByteBuffer.wrap(withSoftware).putShort(2, (short) (withSoftware.length - 20));
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(withSoftware, 0, withSoftware.length - 8);
        java.nio.ByteBuffer.wrap(withSoftware).putInt(withSoftware.length - 4, (int) crc.getValue() ^ 0x5354554e);
        assertThat(Stun.mappedAddress(withSoftware, txid)).as("read past the unknown attribute").isEqualTo(from);
        byte[] truncated = java.util.Arrays.copyOf(response, response.length);
        java.nio.ByteBuffer.wrap(truncated).putShort(fp + 2, (short) 64); // the fingerprint claims 64 bytes
        assertThat(Stun.mappedAddress(truncated, txid)).isNull();
    }
}
