package org.quiver.relay.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.URI;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Which relays get frames masked with the key 0, and what such a frame is on the wire and to a server's decoder. */
class FrameMasksTest {
    @Test
    void onlyTlsAndThisHostGetTheKeyZero() {
        assertThat(FrameMasks.zeroKey(URI.create("wss://relay.example.com/relay"))).isTrue();
        assertThat(FrameMasks.zeroKey(URI.create("wss://198.18.0.1:8443/relay"))).isTrue();
        assertThat(FrameMasks.zeroKey(URI.create("ws://127.0.0.1:3340/relay"))).isTrue();
        assertThat(FrameMasks.zeroKey(URI.create("ws://127.1.2.3:3340/relay"))).isTrue();
        assertThat(FrameMasks.zeroKey(URI.create("ws://[::1]:3340/relay"))).isTrue();
        assertThat(FrameMasks.zeroKey(URI.create("ws://LOCALHOST:3340/relay"))).isTrue();
        // anything that may cross a network in the clear keeps random keys; names are not looked up
        assertThat(FrameMasks.zeroKey(URI.create("ws://198.18.0.1:3340/relay"))).isFalse();
        assertThat(FrameMasks.zeroKey(URI.create("ws://[2001:db8::1]:3340/relay"))).isFalse();
        assertThat(FrameMasks.zeroKey(URI.create("ws://relay.example.com/relay"))).isFalse();
        assertThat(FrameMasks.zeroKey(URI.create("ws://localhost.example.com/relay"))).isFalse();
        assertThat(FrameMasks.zeroKey(URI.create("ws://127.0.0.1.example.com/relay"))).isFalse();
        assertThat(FrameMasks.zeroKey(URI.create("ws://[::ffff:127.0.0.1]:3340/relay"))).isTrue();
        // not dotted-quad literals: random keys (FrameMasks treats them as names and does not resolve them; this test
        // checks the answer only, not the absence of a lookup)
        for (String notLiteral : new String[] {"ws://999.0.0.1/relay", "ws://127.1/relay", "ws://0x7f000001/relay"}) {
            assertThat(FrameMasks.zeroKey(URI.create(notLiteral))).as(notLiteral).isFalse();
        }
    }

    @Test
    void aFrameWithTheKeyZeroIsMaskedOnTheWireAndReadsBackAsSent() {
        byte[] payload = new byte[1300];
        new Random(3).nextBytes(payload);
        byte[] zero = wire(FrameMasks.encoder(true), payload);
        // FIN + binary, mask bit with the 126 length form, the length, the key 0 0 0 0, the payload as it is
        assertThat(zero[0] & 0xff).isEqualTo(0x82);
        assertThat(zero[1] & 0xff).isEqualTo(0x80 | 126);
        assertThat(((zero[2] & 0xff) << 8) | (zero[3] & 0xff)).isEqualTo(payload.length);
        assertThat(java.util.Arrays.copyOfRange(zero, 4, 8)).containsOnly(0);
        assertThat(java.util.Arrays.copyOfRange(zero, 8, zero.length)).isEqualTo(payload);
        byte[] random = wire(FrameMasks.encoder(false), payload);
        assertThat(random[1] & 0x80).isEqualTo(0x80);
        assertThat(java.util.Arrays.copyOfRange(random, 8, random.length)).isNotEqualTo(payload);
        // a relay's decoder (masked frames expected, as RFC 6455 has servers require) reads both back as sent
        for (byte[] frame : new byte[][] {zero, random}) {
            EmbeddedChannel server = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, 65536));
            server.writeInbound(Unpooled.wrappedBuffer(frame));
            WebSocketFrame read = server.readInbound();
            assertThat(read).isInstanceOf(BinaryWebSocketFrame.class);
            assertThat(io.netty.buffer.ByteBufUtil.getBytes(read.content())).isEqualTo(payload);
            read.release();
            server.finishAndReleaseAll();
        }
    }

    private static byte[] wire(io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder encoder, byte[] payload) {
        EmbeddedChannel client = new EmbeddedChannel(encoder);
        client.writeOutbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload.clone())));
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b; (b = client.readOutbound()) != null; ) {
            all.writeBytes(b);
            b.release();
        }
        client.finishAndReleaseAll();
        byte[] out = io.netty.buffer.ByteBufUtil.getBytes(all);
        all.release();
        return out;
    }
}
