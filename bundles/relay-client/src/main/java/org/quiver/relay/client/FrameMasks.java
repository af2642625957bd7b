package org.quiver.relay.client;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameMaskGenerator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The masking key of a relay client's WebSocket frames. RFC 6455 has a client mask every frame with a fresh random key
 * so that an intermediary that reads the stream as HTTP (a transparent proxy) cannot be fed bytes that a script chose
 * (section 10.3). Where nothing between client and relay can read the stream, inside TLS ({@code wss://}) or to a relay
 * on this host (a loopback address or {@code localhost}), the key is 0: each frame is still masked as the RFC lays it
 * out, every relay takes it, and neither side spends anything on it (netty leaves the payload as it is when the key is
 * 0, when it masks and when it unmasks). With random keys, unmasking was three quarters of a relay server's CPU per
 * relayed datagram (JFR, 2026-12-02). Plain {@code ws://} to another host keeps random keys: the datagrams a client
 * relays carry bytes a peer chose (QUIC connection ids, tokens), in the clear.
 *
 * <p>Stateless: the decision is made from the relay's URL when a connection is set up, on the client's event loop, so
 * it never looks a name up.
 */
final class FrameMasks {
    private static final WebSocketFrameMaskGenerator ZERO = () -> 0;

    private FrameMasks() {
    }

    /**
     * Whether frames to the relay at {@code url} carry the key 0: {@code wss://}, or a host that is {@code localhost}
     * or a loopback address literal (no name is looked up).
     */
    static boolean zeroKey(URI url) {
        if ("wss".equalsIgnoreCase(url.getScheme())) {
            return true;
        }
        String host = url.getHost();
        if (host == null) {
            return false;
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.equals("localhost")) {
            return true;
        }
        String literal;
        if (host.contains(":")) {
            literal = "[" + host + "]"; // bracketed, the JDK parses it as an IPv6 literal or refuses it: never a lookup
        } else if (IPV4.matcher(host).matches()) {
            literal = host;
        } else {
            return false; // a name (or no address at all): where it leads is not known without a lookup
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException | SecurityException e) {
            return false;
        }
    }

    /** A dotted-quad IPv4 literal, each part 0-255 (anything else the JDK would look up as a name). */
    private static final java.util.regex.Pattern IPV4 =
            java.util.regex.Pattern.compile("(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");

    /** The frame encoder a client uses: key 0 when {@code zeroKey}, else a fresh random key per frame. */
    static WebSocketFrameEncoder encoder(boolean zeroKey) {
        return zeroKey ? new WebSocket13FrameEncoder(ZERO) : new WebSocket13FrameEncoder(true);
    }

    /** The WebSocket handshake to {@code url} whose connection's frames are masked as {@link #zeroKey} says. */
    static WebSocketClientHandshaker handshaker(URI url, HttpHeaders headers, int maxFramePayload, long timeoutMillis) {
        boolean zero = zeroKey(url);
        return new WebSocketClientHandshaker13(url, WebSocketVersion.V13, null, false, headers, maxFramePayload, true, false, timeoutMillis) {
            @Override
            protected WebSocketFrameEncoder newWebSocketEncoder() {
                return encoder(zero);
            }
        };
    }
}
