package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConnectionIdsTest {
    private static ConnectionIds.Route route(byte[] bytes, boolean liveClient) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return ConnectionIds.route(buf, (b, i) -> liveClient);
        } finally {
            buf.release();
        }
    }

    @Test
    void shortHeadersGoByTheRoleBitOfOurId() {
        byte[] client = ConnectionIds.newClientId();
        byte[] server = ConnectionIds.serverGenerator().newId(16).array();
        assertThat(client).hasSize(16);
        assertThat(client[0] & 0x80).isZero();
        assertThat(server[0] & 0x80).isEqualTo(0x80);
        byte[] toClient = new byte[20];
        toClient[0] = 0x40;
        System.arraycopy(client, 0, toClient, 1, 16);
        byte[] toServer = new byte[20];
        toServer[0] = 0x41;
        System.arraycopy(server, 0, toServer, 1, 16);
        assertThat(route(toClient, false)).isEqualTo(ConnectionIds.Route.CLIENT);
        assertThat(route(toServer, false)).isEqualTo(ConnectionIds.Route.SERVER);
    }

    @Test
    void longHeadersGoToTheClientOnlyForALiveClientId() {
        byte[] initial = new byte[1200];
        initial[0] = (byte) 0xc0;
        initial[4] = 1; // version 1
        initial[5] = 16;
        assertThat(route(initial, true)).isEqualTo(ConnectionIds.Route.CLIENT);
        assertThat(route(initial, false)).isEqualTo(ConnectionIds.Route.SERVER);
        initial[5] = 8; // a remote's random 8-byte id: never ours
        assertThat(route(initial, true)).isEqualTo(ConnectionIds.Route.SERVER);
        ByteBuf buf = Unpooled.wrappedBuffer(initial);
        assertThat(ConnectionIds.isInitial(buf)).isTrue();
        buf.setByte(0, 0xe0); // handshake packet
        assertThat(ConnectionIds.isInitial(buf)).isFalse();
        buf.release();
    }

    @Test
    void probesAndGarbageAreNotQuic() {
        assertThat(route(new byte[0], false)).isEqualTo(ConnectionIds.Route.INVALID);
        assertThat(route(new byte[] {0x00, 1, 2}, false)).isEqualTo(ConnectionIds.Route.PROBE);
        assertThat(route(new byte[] {0x40, 1, 2}, false)).isEqualTo(ConnectionIds.Route.INVALID); // short and truncated
        assertThat(route(new byte[] {(byte) 0xc0, 0, 0, 0, 1}, false)).isEqualTo(ConnectionIds.Route.INVALID);
        assertThat(route(new byte[] {(byte) 0xc0, 0, 0, 0, 1, 21, 0}, false)).isEqualTo(ConnectionIds.Route.INVALID);
        assertThat(route(new byte[] {(byte) 0xc0, 0, 0, 0, 1, 16, 0}, false)).isEqualTo(ConnectionIds.Route.INVALID);
        Random random = new Random(3);
        for (int i = 0; i < 10_000; i++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            assertThat(route(junk, random.nextBoolean())).isNotNull(); // never throws
        }
    }

    private static int shortAt(byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return ConnectionIds.shortHeaderAt(buf);
        } finally {
            buf.release();
        }
    }

    /** A long-header packet of {@code type} with 16-byte ids, an empty token (Initial) and {@code payload} bytes. */
    private static byte[] longPacket(int type, int payload) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0xc0 | (type << 4));
        out.writeBytes(new byte[] {0, 0, 0, 1, 16});
        out.writeBytes(new byte[16]);
        out.write(16);
        out.writeBytes(new byte[16]);
        if (type == 0) {
            out.write(0); // token length
        }
        out.write(0x40 | (payload >> 8)); // a 2-byte length
        out.write(payload & 0xff);
        out.writeBytes(new byte[payload]);
        return out.toByteArray();
    }

    @Test
    void theFirstShortHeaderPacketIsFoundBehindCoalescedLongHeaderOnes() {
        byte[] shortPacket = new byte[40];
        shortPacket[0] = 0x41;
        assertThat(shortAt(shortPacket)).isZero();
        byte[] handshake = longPacket(2, 30);
        byte[] initial = longPacket(0, 100);
        byte[] coalesced = new byte[initial.length + handshake.length + shortPacket.length];
        System.arraycopy(initial, 0, coalesced, 0, initial.length);
        System.arraycopy(handshake, 0, coalesced, initial.length, handshake.length);
        System.arraycopy(shortPacket, 0, coalesced, initial.length + handshake.length, shortPacket.length);
        assertThat(shortAt(coalesced)).isEqualTo(initial.length + handshake.length);
        assertThat(shortAt(handshake)).as("long headers only").isEqualTo(-1);
        // a length that runs past the datagram, a Retry, a version negotiation: no short header
        byte[] truncated = java.util.Arrays.copyOf(handshake, handshake.length - 1);
        assertThat(shortAt(truncated)).isEqualTo(-1);
        byte[] retry = longPacket(3, 30);
        assertThat(shortAt(retry)).isEqualTo(-1);
        byte[] vn = longPacket(2, 30);
        vn[1] = vn[2] = vn[3] = vn[4] = 0;
        assertThat(shortAt(vn)).isEqualTo(-1);
        // random datagrams never throw, and an offset found is always inside the datagram
        Random random = new Random(42);
        for (int n = 0; n < 100_000; n++) {
            byte[] junk = new byte[random.nextInt(80)];
            random.nextBytes(junk);
            if (junk.length > 0 && random.nextBoolean()) {
                junk[0] |= (byte) 0xc0;
            }
            int at = shortAt(junk);
            assertThat(at).isBetween(-1, Math.max(-1, junk.length - 17));
        }
    }
}
