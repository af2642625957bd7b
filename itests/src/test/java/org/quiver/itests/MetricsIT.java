package org.quiver.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Random;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.ProtocolHandler;
import org.quiver.identity.Identities;
import org.quiver.spi.metrics.MetricsExposition;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * The metrics bundle in Felix: /metrics is scraped over HTTP while two endpoints exchange data and the
 * counters move by the right amounts; uninstalling and installing the bundle again neither restarts nor
 * disturbs the endpoint or its connection.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MetricsIT {
    private static final String ALPN = "it/metrics/1";
    private static final int SIZE = 256 * 1024;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-metrics");
    }

    /**
     * The URL of the metrics service configured for this test (port 0). Without start levels the component
     * may first start with the default port and restart once fileinstall applies conf/: wait for that one.
     */
    private String url() throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            ServiceReference<MetricsExposition> ref = context.getServiceReference(MetricsExposition.class);
            Object url = ref == null ? null : ref.getProperty(MetricsExposition.URL_PROPERTY);
            if (url != null && !url.toString().endsWith(":9464/metrics")) {
                return url.toString();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no metrics service on the configured port");
    }

    private static double scrape(String url, String series) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body().lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElse(0);
    }

    private static void echo(Connection c, byte[] data) throws Exception {
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        try (OutputStream out = s.send().outputStream()) {
            out.write(data);
        }
        try (InputStream in = s.recv().inputStream()) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    public void scrapedWhileTrafficFlowsAndTheBundleComesAndGoesWithoutDisturbingTheEndpoint() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        ServiceReference<Endpoint> endpointRef = context.getServiceReference(Endpoint.class);
        Object endpointServiceId = endpointRef.getProperty("service.id");
        String url = url();
        assertTrue(url, url.startsWith("http://127.0.0.1:"));
        String accepted = "quiver_connections_opened_total{direction=\"accepted\",path_kind=\"direct\"}";
        String received = "quiver_received_bytes_total{path_kind=\"direct\"}";
        String sent = "quiver_sent_bytes_total{path_kind=\"direct\"}";
        double accepted0 = scrape(url, accepted);
        double received0 = scrape(url, received);
        double sent0 = scrape(url, sent);

        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtocolHandler.ALPN_PROPERTY, ALPN);
        ServiceRegistration<ProtocolHandler> reg = context.registerService(ProtocolHandler.class, Echo.HANDLER, props);
        Endpoint other = QuicEndpoints.create(Identities.ephemeral(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of());
        try {
            Connection c = Blocking.await(other.connect(node.addr().get(), ALPN), Duration.ofSeconds(10));
            byte[] data = new byte[SIZE];
            new Random(3).nextBytes(data);
            echo(c, data);
            assertEquals("one more accepted connection", accepted0 + 1, scrape(url, accepted), 0);
            double in = scrape(url, received) - received0;
            double out = scrape(url, sent) - sent0;
            assertTrue("received " + in + " bytes for " + SIZE, in >= SIZE && in < SIZE * 1.3);
            assertTrue("sent " + out + " bytes for " + SIZE, out >= SIZE && out < SIZE * 1.3);

            Bundle metrics = null;
            for (Bundle b : context.getBundles()) {
                if ("org.quiver.metrics".equals(b.getSymbolicName())) {
                    metrics = b;
                }
            }
            assertNotNull("the metrics bundle", metrics);
            String location = metrics.getLocation();
            metrics.uninstall();
            echo(c, data);
            assertFalse("the connection survived", c.closed().toCompletableFuture().isDone());
            context.installBundle(location).start();
            String again = url();
            echo(c, data);
            assertTrue("a fresh registry counts from now on", scrape(again, received) >= SIZE);
            assertEquals("the endpoint was never restarted", endpointServiceId,
                    context.getServiceReference(Endpoint.class).getProperty("service.id"));
            assertFalse(c.closed().toCompletableFuture().isDone());
        } finally {
            reg.unregister();
            other.close();
        }
    }
}
