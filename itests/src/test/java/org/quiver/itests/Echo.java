package org.quiver.itests;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;

/** The tests' protocol: every bidirectional stream is echoed back (one at a time), and every datagram. */
final class Echo {
    private Echo() {
    }

    static final ProtocolHandler HANDLER = conn -> {
        conn.receiveDatagram().thenAccept(conn::sendDatagram);
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(conn.acceptBi(), Duration.ofMinutes(1));
            } catch (QuiverException closed) {
                return;
            }
            try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                in.transferTo(out);
            }
        }
    };
}
