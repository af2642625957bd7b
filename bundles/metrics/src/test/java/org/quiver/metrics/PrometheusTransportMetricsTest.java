package org.quiver.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quiver.api.PathKind;

public class PrometheusTransportMetricsTest {
    /** Runs {@code promtool check metrics} (Debian's prometheus package; .ci/run installs it) on {@code text}. */
    public static String promtool(String text) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("promtool is needed to check the exposition format: apt-get install prometheus", e);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics:\n%s", out).isZero();
        return out;
    }

    public static double value(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + series + " in\n" + text));
    }

    @Test
    void everyCallMovesItsSeriesAndTheExpositionPassesPromtool() throws Exception {
        try (PrometheusTransportMetrics m = new PrometheusTransportMetrics()) {
            m.connectionOpened(PathKind.DIRECT, true);
            m.connectionOpened(PathKind.DIRECT, false);
            m.connectionOpened(PathKind.RELAY, false);
            m.connectionClosed(PathKind.DIRECT);
            m.bytesSent(PathKind.DIRECT, 1200);
            m.bytesSent(PathKind.DIRECT, 300);
            m.bytesReceived(PathKind.RELAY, 77);
            m.datagramDropped("no-path");
            m.datagramDropped("no-path");
            m.pathSwitched(PathKind.RELAY, PathKind.DIRECT);
            m.holePunchAttempt();
            m.holePunchSuccess(Duration.ofMillis(250));
            m.discoveryLookup("dns", Duration.ofMillis(12), true);
            m.discoveryLookup("dns", Duration.ofMillis(30), false);
            m.relayConnected("https://relay.example/");
            m.relayConnectFailed("https://relay.example/");
            m.bufferDropped(100);
            m.bufferExpired(40);
            m.eventLoopTick("endpoint");
            String text = m.scrape();
            assertThat(m.contentType()).startsWith("text/plain; version=0.0.4");
            assertThat(value(text, "quiver_connections_opened_total{direction=\"dialed\",path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_connections_opened_total{direction=\"accepted\",path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_connections_active{path_kind=\"direct\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_connections_active{path_kind=\"relay\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_sent_bytes_total{path_kind=\"direct\"}")).isEqualTo(1500);
            assertThat(value(text, "quiver_sent_datagrams_total{path_kind=\"direct\"}")).isEqualTo(2);
            assertThat(value(text, "quiver_received_bytes_total{path_kind=\"relay\"}")).isEqualTo(77);
            assertThat(value(text, "quiver_dropped_datagrams_total{reason=\"no-path\"}")).isEqualTo(2);
            assertThat(value(text, "quiver_path_switches_total{from=\"relay\",to=\"direct\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_holepunch_successes_total")).isEqualTo(1);
            assertThat(value(text, "quiver_discovery_lookups_total{found=\"false\",provider=\"dns\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_discovery_lookup_seconds_count{provider=\"dns\"}")).isEqualTo(2);
            assertThat(value(text, "quiver_relay_connect_failures_total{relay=\"https://relay.example/\"}")).isEqualTo(1);
            assertThat(value(text, "quiver_buffer_dropped_bytes_total")).isEqualTo(100);
            assertThat(value(text, "quiver_buffer_expired_messages_total")).isEqualTo(1);
            assertThat(value(text, "quiver_actor_ticks_total{loop=\"endpoint\"}")).isEqualTo(1);
            promtool(text);
        }
    }

    @Test
    void outsideLabelsAreCapped() throws Exception {
        try (PrometheusTransportMetrics m = new PrometheusTransportMetrics()) {
            for (int i = 0; i < 1000; i++) {
                m.datagramDropped("reason-" + i);
            }
            String text = m.scrape();
            assertThat(text.lines().filter(l -> l.startsWith("quiver_dropped_datagrams_total{"))).hasSize(PrometheusTransportMetrics.MAX_LABEL_VALUES + 1);
            assertThat(value(text, "quiver_dropped_datagrams_total{reason=\"other\"}")).isEqualTo(1000 - PrometheusTransportMetrics.MAX_LABEL_VALUES);
            promtool(text);
        }
    }
}
