package org.quiver.metrics.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Dictionary;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.quiver.api.PathKind;
import org.quiver.metrics.PrometheusTransportMetricsTest;
import org.quiver.spi.metrics.MetricsExposition;
import org.quiver.spi.metrics.TransportMetrics;

/** The component outside a framework: what it registers, and /metrics over real HTTP on loopback. */
class MetricsComponentTest {
    private final AtomicReference<Object> registered = new AtomicReference<>();
    private final AtomicReference<Dictionary<?, ?>> properties = new AtomicReference<>();
    private final AtomicBoolean unregistered = new AtomicBoolean();

    /** Just enough of a BundleContext: registerService (the framework's part is tested in Felix, MetricsIT). */
    private BundleContext context() {
        ServiceRegistration<?> reg = (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                    if (m.getName().equals("unregister")) {
                        unregistered.set(true);
                    }
                    return null;
                });
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class}, (p, m, a) -> {
            if (m.getName().equals("registerService")) {
                registered.set(a[1]);
                properties.set((Dictionary<?, ?>) a[2]);
                return reg;
            }
            throw new UnsupportedOperationException(m.getName());
        });
    }

    private static MetricsComponent.Config config(String bind, int port) {
        return new MetricsComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return MetricsComponent.Config.class;
            }

            @Override
            public String bindAddress() {
                return bind;
            }

            @Override
            public int port() {
                return port;
            }
        };
    }

    @Test
    void servesMetricsOverHttpAndStopsCleanly() throws Exception {
        MetricsComponent c = new MetricsComponent(context(), config("127.0.0.1", 0));
        try {
            TransportMetrics m = (TransportMetrics) registered.get();
            m.bytesSent(PathKind.DIRECT, 1000);
            String url = (String) properties.get().get(MetricsExposition.URL_PROPERTY);
            assertThat(url).startsWith("http://127.0.0.1:").endsWith("/metrics");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(PrometheusTransportMetricsTest.value(r.body(), "quiver_sent_bytes_total{path_kind=\"direct\"}")).isEqualTo(1000);
            PrometheusTransportMetricsTest.promtool(r.body());
            assertThat(http.send(HttpRequest.newBuilder(URI.create(url)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
            assertThat(((MetricsExposition) registered.get()).scrape()).contains("quiver_sent_bytes_total");
        } finally {
            c.deactivate();
        }
        assertThat(unregistered).isTrue();
        int port = URI.create((String) properties.get().get(MetricsExposition.URL_PROPERTY)).getPort();
        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).as("the port is free again").isEqualTo(port);
        }
    }

    @Test
    void withoutHttpOnlyTheServicesAreRegisteredAndBadPortsAreClearErrors() throws Exception {
        MetricsComponent c = new MetricsComponent(context(), config("127.0.0.1", -1));
        assertThat(properties.get().get(MetricsExposition.URL_PROPERTY)).isNull();
        assertThat(registered.get()).isInstanceOf(MetricsExposition.class);
        c.deactivate();
        assertThatThrownBy(() -> new MetricsComponent(context(), config("127.0.0.1", 70000))).hasMessageContaining("port 70000");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            // a busy port: the metrics are there, without HTTP, and the service says why
            MetricsComponent busy = new MetricsComponent(context(), config("127.0.0.1", taken.getLocalPort()));
            assertThat(properties.get().get(MetricsExposition.URL_PROPERTY)).isNull();
            assertThat((String) properties.get().get(MetricsComponent.HTTP_ERROR_PROPERTY)).contains("cannot serve /metrics")
                    .contains("0 picks a free one");
            assertThat(registered.get()).isInstanceOf(MetricsExposition.class);
            busy.deactivate();
        }
    }
}
