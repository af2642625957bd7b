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
}
