package org.quiver.metrics.impl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.quiver.spi.metrics.MetricsExposition;

/**
 * {@code GET /metrics} on the JDK's HTTP server ({@code jdk.httpserver}), one thread. Loaded only when
 * the framework exports {@code com.sun.net.httpserver}. Closing stops the server and its thread.
 */
final class HttpExposition implements AutoCloseable {
    private final MetricsExposition metrics;
    private final HttpServer server;
    private final ExecutorService thread;

    HttpExposition(MetricsExposition metrics, InetSocketAddress bind) throws IOException {
        this.metrics = metrics;
        try {
            server = HttpServer.create(bind, 16);
        } catch (IOException e) {
            throw new IOException("org.quiver.metrics: cannot serve /metrics at " + bind + ": " + e.getMessage(), e);
        }
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "quiver-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.createContext("/metrics", this::serve);
        server.start();
    }

    /** Where the metrics are served. */
    String url() {
        InetSocketAddress at = server.getAddress();
        String host = at.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + at.getPort() + "/metrics";
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", metrics.contentType());
            boolean head = "HEAD".equals(method);
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
