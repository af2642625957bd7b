package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedialTest {
    @Test
    void closeAndRedial() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                     .handler("m/1", conn -> {
                         while (true) {
                             BiStream s;
                             try {
                                 s = Blocking.await(conn.acceptBi(), Duration.ofMinutes(1));
                             } catch (QuiverException closed) {
                                 return;
                             }
                             try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                                 out.write(Long.toString(in.transferTo(OutputStream.nullOutputStream())).getBytes());
                             }
                         }
                     }).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).build()) {
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "m/1"), Duration.ofSeconds(10));
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                try (OutputStream out = s.send().outputStream()) {
                    out.write(new byte[1 << 20]);
                }
                try (InputStream in = s.recv().inputStream()) {
                    assertThat(new String(in.readAllBytes())).isEqualTo(Integer.toString(1 << 20));
                }
                c.close();
                System.err.println("round " + i + " " + (System.nanoTime() - t0) / 1_000_000 + " ms dropped a=" + a.droppedDatagrams() + " b=" + b.droppedDatagrams());
            }
            long t0 = System.nanoTime();
            a.closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
            b.closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
            System.err.println("closed in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }
}
