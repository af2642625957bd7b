package org.quiver.metrics.impl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.metrics.PrometheusTransportMetrics;
import org.quiver.spi.metrics.MetricsExposition;
import org.quiver.spi.metrics.TransportMetrics;

/**
 * Registers {@link PrometheusTransportMetrics} as the node's {@link TransportMetrics} and
 * {@link MetricsExposition}, and serves it at {@code http://<bindAddress>:<port>/metrics}. A thin adapter:
 * the HTTP server is the JDK's ({@code jdk.httpserver}) with one thread, both stopped on deactivation.
 */
@Component(name = MetricsComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL, service = {})
@Designate(ocd = MetricsComponent.Config.class)
public final class MetricsComponent {
    public static final String PID = "org.quiver.metrics";

    @ObjectClassDefinition(name = "Quiver metrics", description = "Transport metrics in Prometheus text format")
    public @interface Config {
        @AttributeDefinition(name = "Bind address", description = "Address of the /metrics HTTP endpoint (loopback by default: metrics say a lot about a node)")
        String bindAddress() default "127.0.0.1";

        @AttributeDefinition(name = "Port", description = "TCP port of /metrics; 0 picks a free one (see the service property quiver.metrics.url); -1 serves no HTTP")
        int port() default 9464;
    }

    private final PrometheusTransportMetrics metrics = new PrometheusTransportMetrics();
    private final HttpServer server;
    private final ExecutorService httpThread;
    private final ServiceRegistration<?> registration;

    @Activate
    public MetricsComponent(BundleContext context, Config config) throws IOException {
        Hashtable<String, Object> props = new Hashtable<>();
        if (config.port() >= 0) {
            if (config.port() > 65535) {
                throw new IllegalArgumentException("org.quiver.metrics: port " + config.port() + " is not -1 to 65535");
            }
            InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(config.bindAddress().strip()), config.port());
            try {
                server = HttpServer.create(bind, 16);
            } catch (IOException e) {
                throw new IOException("org.quiver.metrics: cannot serve /metrics at " + bind + ": " + e.getMessage(), e);
            }
            httpThread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "quiver-metrics-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(httpThread);
            server.createContext("/metrics", this::serve);
            server.start();
            InetSocketAddress at = server.getAddress();
            String host = at.getAddress().getHostAddress();
            props.put(MetricsExposition.URL_PROPERTY, "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + at.getPort() + "/metrics");
        } else {
            server = null;
            httpThread = null;
        }
        registration = context.registerService(new String[] {TransportMetrics.class.getName(), MetricsExposition.class.getName()},
                metrics, props);
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", metrics.contentType());
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Deactivate
    void deactivate() {
        registration.unregister();
        if (server != null) {
            server.stop(0);
            httpThread.shutdownNow();
        }
        metrics.close();
    }
}
