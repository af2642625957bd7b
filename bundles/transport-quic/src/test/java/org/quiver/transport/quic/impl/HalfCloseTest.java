package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;

/** A request finished before the answer is read, and an answer written before the request's end is read. */
class HalfCloseTest {
    @Test
    void requestThenAnswerOnOneStream() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("req", conn -> {
            while (true) {
                BiStream s;
                try {
                    s = Blocking.await(conn.acceptBi(), Duration.ofSeconds(30));
                } catch (QuiverException closed) {
                    return;
                }
                try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                    in.readNBytes(5); // the request, without waiting for its end
                    out.write("ok".getBytes(StandardCharsets.UTF_8));
                }
            }
        }).build(); QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).build()) {
            EndpointAddr target = EndpointAddr.of(b.id(), null, List.of(b.localAddress()));
            // a stream opened at once on a fresh connection can reach the acceptor in the handshake's last
            // flight, before it has made its Connection: it must be kept, not refused
            for (int i = 0; i < 30; i++) {
                Connection fresh = Blocking.await(a.connect(target, "req"), Duration.ofSeconds(5));
                BiStream s = Blocking.await(fresh.openBi(), Duration.ofSeconds(5));
                OutputStream out = s.send().outputStream();
                out.write("hello".getBytes(StandardCharsets.UTF_8));
                out.close();
                try (InputStream in = s.recv().inputStream()) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as("fresh %d", i).isEqualTo("ok");
                }
                fresh.close();
            }
            Connection c = Blocking.await(a.connect(target, "req"), Duration.ofSeconds(5));
            for (int i = 0; i < 200; i++) {
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(5));
                OutputStream out = s.send().outputStream();
                out.write("hello".getBytes(StandardCharsets.UTF_8));
                out.close();
                try (InputStream in = s.recv().inputStream()) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as("round %d", i).isEqualTo("ok");
                }
            }
        }
    }
}
