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
import org.quiver.metrics.PrometheusTransportMetrics;

/** The endpoint reports to a real Prometheus registry: the counters move by what the traffic was. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsWiringTest {
    private static double value(PrometheusTransportMetrics m, String series) {
        return m.scrape().lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElse(0);
    }

    /** Answers each stream with the number of bytes it carried. */
    static void countBytes(org.quiver.api.Connection conn) throws Exception {
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
    }

    @Test
    void connectionsBytesAndTicksAreCounted() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (PrometheusTransportMetrics ma = new PrometheusTransportMetrics(); PrometheusTransportMetrics mb = new PrometheusTransportMetrics();
             QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).metrics(mb)
                     .handler("m/1", MetricsWiringTest::countBytes).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).build()) {
            a.metrics(ma); // set while running, as the DS reference does
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "m/1"), Duration.ofSeconds(10));
            BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
            try (OutputStream out = s.send().outputStream()) {
                out.write(new byte[1 << 20]);
            }
            try (InputStream in = s.recv().inputStream()) {
                assertThat(new String(in.readAllBytes())).isEqualTo(Integer.toString(1 << 20));
            }
            assertThat(value(ma, "quiver_connections_opened_total{direction=\"dialed\",path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(mb, "quiver_connections_opened_total{direction=\"accepted\",path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(ma, "quiver_connections_active{path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(ma, "quiver_sent_bytes_total{path_kind=\"direct\"}")).as("a MiB and QUIC's overhead").isBetween(1048576.0, 1.2 * 1048576);
            assertThat(value(mb, "quiver_received_bytes_total{path_kind=\"direct\"}")).isGreaterThanOrEqualTo(1048576.0);
            assertThat(value(mb, "quiver_received_datagrams_total{path_kind=\"direct\"}")).isGreaterThan(1048576.0 / 1472);
            // removed: reports nowhere from then on, and the endpoint goes on
            double sent = value(ma, "quiver_sent_bytes_total{path_kind=\"direct\"}");
            a.metrics(null);
            BiStream more = Blocking.await(c.openBi(), Duration.ofSeconds(10));
            try (OutputStream out = more.send().outputStream()) {
                out.write(new byte[4096]);
            }
            try (InputStream in = more.recv().inputStream()) {
                assertThat(new String(in.readAllBytes())).isEqualTo("4096");
            }
            assertThat(value(ma, "quiver_sent_bytes_total{path_kind=\"direct\"}")).isEqualTo(sent);
            a.metrics(ma);
            c.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (value(mb, "quiver_connections_active{path_kind=\"direct\"}") != 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(value(mb, "quiver_connections_closed_total{path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(ma, "quiver_connections_active{path_kind=\"direct\"}")).isEqualTo(0);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (value(mb, "quiver_actor_ticks_total{loop=\"paths\"}") == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20); // the path tick runs every 250 ms with the default probe interval
            }
            assertThat(value(mb, "quiver_actor_ticks_total{loop=\"paths\"}")).isGreaterThan(0);
        }
    }
}
