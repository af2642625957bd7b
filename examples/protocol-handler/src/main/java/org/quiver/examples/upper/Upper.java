package org.quiver.examples.upper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;

/**
 * The example protocol, {@value #ALPN}: the peer opens a stream, sends text (UTF-8, at most {@value #MAX_BYTES}
 * bytes) and closes its side; the answer is the same text in upper case. A peer that sends more gets its stream
 * reset with {@link #TOO_LARGE}; one that sends nothing for {@link #IDLE} loses the connection's attention (the handler returns, and the
 * connection idles out). Plain Java, no OSGi: {@code UpperComponent} registers it.
 *
 * <p>Runs on the node's handler thread that {@link #accept} is called on, one stream at a time per connection.
 */
public final class Upper implements ProtocolHandler {
    public static final String ALPN = "example/upper/1";
    /** What one request may hold: everything a stranger sends is bounded. */
    public static final int MAX_BYTES = 64 * 1024;
    /** How long the handler waits for the next stream. */
    public static final Duration IDLE = Duration.ofSeconds(30);
    /** The stream error code of a request over {@link #MAX_BYTES}. */
    public static final long TOO_LARGE = 1;

    @Override
    public void accept(Connection connection) throws Exception {
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(connection.acceptBi(), IDLE);
            } catch (QuiverException closedOrIdle) {
                return;
            }
            try (InputStream in = s.recv().inputStream()) {
                byte[] request = in.readNBytes(MAX_BYTES + 1);
                if (request.length > MAX_BYTES) {
                    // too much: refuse the stream both ways (the peer's read fails), keep the connection
                    s.recv().stop(TOO_LARGE);
                    s.send().reset(TOO_LARGE);
                    continue;
                }
                try (OutputStream out = s.send().outputStream()) {
                    out.write(answer(request));
                }
            } catch (IOException e) {
                // the peer reset the stream or went away: its problem, next stream
            }
        }
    }

    /** The answer to a request: its text in upper case. */
    static byte[] answer(byte[] request) {
        return new String(request, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
    }
}
