package org.quiver.metrics.impl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Hashtable;
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
 * {@link MetricsExposition}, and serves it at {@code http://<bindAddress>:<port>/metrics} ({@link HttpExposition}).
 * A thin adapter.
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

    /** Service property set when /metrics could not be served over HTTP: why. */
    public static final String HTTP_ERROR_PROPERTY = "quiver.metrics.http.error";

    private final PrometheusTransportMetrics metrics = new PrometheusTransportMetrics();
    private final HttpExposition http;
    private final ServiceRegistration<?> registration;

    @Activate
    public MetricsComponent(BundleContext context, Config config) throws IOException {
        if (config.port() < -1 || config.port() > 65535) {
            throw new IllegalArgumentException("org.quiver.metrics: port " + config.port() + " is not -1 to 65535");
        }
        Hashtable<String, Object> props = new Hashtable<>();
        HttpExposition server = null;
        if (config.port() >= 0) {
            InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(config.bindAddress().strip()), config.port());
            try {
                server = new HttpExposition(metrics, bind);
                props.put(MetricsExposition.URL_PROPERTY, server.url());
            } catch (IOException busy) {
                // a busy port (a second node on this host): the metrics still work through quiver:metrics; one line
                // says why there is no HTTP, instead of a failed component and its stack trace
                String why = busy.getMessage() + " (another node on this host? set port in org.quiver.metrics; 0 picks a free one)";
                props.put(HTTP_ERROR_PROPERTY, why);
                System.err.println("quiver: " + why);
            } catch (LinkageError e) {
                // a framework that does not export com.sun.net.httpserver (Karaf's default): the metrics still
                // work, through quiver:metrics and the MetricsExposition service
                props.put(HTTP_ERROR_PROPERTY, "no HTTP server: the framework does not export com.sun.net.httpserver"
                        + " (add it to org.osgi.framework.system.packages.extra)");
            }
        }
        this.http = server;
        registration = context.registerService(new String[] {TransportMetrics.class.getName(), MetricsExposition.class.getName()},
                metrics, props);
    }

    @Deactivate
    void deactivate() {
        registration.unregister();
        if (http != null) {
            http.close();
        }
        metrics.close();
    }
}
