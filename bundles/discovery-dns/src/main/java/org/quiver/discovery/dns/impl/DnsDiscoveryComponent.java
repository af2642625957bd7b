package org.quiver.discovery.dns.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.api.EndpointId;
import org.quiver.discovery.dns.DnsDiscovery;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;
import org.quiver.spi.discovery.Lookup;

/** The DNS {@link Discovery} service while {@code org.quiver.discovery.dns} is configured. A thin adapter. */
@Component(name = DnsDiscoveryComponent.PID, service = Discovery.class, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = Discovery.NAME_PROPERTY + "=" + DnsDiscovery.NAME)
@Designate(ocd = DnsDiscoveryComponent.Config.class)
public final class DnsDiscoveryComponent implements Discovery {
    public static final String PID = "org.quiver.discovery.dns";

    @ObjectClassDefinition(name = "Quiver DNS discovery", description = "Peers' signed addresses in TXT records _quiver.<id>.<zone>")
    public @interface Config {
        @AttributeDefinition(name = "Zone", description = "The zone records live in, e.g. quiver.example.org")
        String zone();

        @AttributeDefinition(name = "Server", description = "DNS server asked for records: ip:port")
        String server() default "127.0.0.1:53";

        @AttributeDefinition(name = "Update server", description = "The zone's primary, for dynamic updates: ip:port; empty: the server")
        String updateServer() default "";

        @AttributeDefinition(name = "TSIG key name", description = "Empty: this node does not publish")
        String tsigName() default "";

        @AttributeDefinition(name = "TSIG algorithm", description = "hmac-sha256, hmac-sha512, ...")
        String tsigAlgorithm() default "hmac-sha256";

        @AttributeDefinition(name = "TSIG secret", description = "Base64, as in the server's key statement", type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD)
        String tsigSecret() default "";

        @AttributeDefinition(name = "TTL (s)", description = "TTL of the published record")
        int ttlSeconds() default 60;

        @AttributeDefinition(name = "Timeout (ms)", description = "One query or update, at most")
        int timeoutMillis() default 3000;

        @AttributeDefinition(name = "Maximum record age (h)", description = "Records signed longer ago are refused")
        int maxAgeHours() default 24;
    }

    private final DnsDiscovery dns;

    @Activate
    public DnsDiscoveryComponent(Config config) {
        InetSocketAddress server = address("server", config.server());
        String update = config.updateServer() == null ? "" : config.updateServer().strip();
        String key = config.tsigName() == null ? "" : config.tsigName().strip();
        DnsDiscovery.TsigKey tsig = key.isEmpty() ? null : new DnsDiscovery.TsigKey(key, config.tsigAlgorithm().strip(), config.tsigSecret().strip());
        try {
            this.dns = new DnsDiscovery(new DnsDiscovery.Config(DnsDiscovery.Config.zone(config.zone() == null ? "" : config.zone().strip()),
                    server, update.isEmpty() ? server : address("updateServer", update), tsig,
                    Duration.ofSeconds(Math.max(1, config.ttlSeconds())), Duration.ofMillis(Math.max(10, config.timeoutMillis())),
                    Duration.ofHours(Math.max(1, config.maxAgeHours()))));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": " + e.getMessage(), e);
        }
    }

    static InetSocketAddress address(String what, String text) {
        String t = text == null ? "" : text.strip();
        int colon = t.lastIndexOf(':');
        try {
            String host = t.substring(0, colon).replace("[", "").replace("]", "");
            if (!host.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
                throw new IllegalArgumentException("not an IP address");
            }
            int port = Integer.parseInt(t.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range");
            }
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (RuntimeException | java.net.UnknownHostException e) {
            throw new IllegalArgumentException(PID + ": " + what + " '" + text + "' is not ip:port", e);
        }
    }

    /**
     * dnsjava keeps one selector thread for the process and a JVM shutdown hook that would run after the
     * framework has unloaded its classes: both go when the provider does (dnsjava makes them again if needed).
     */
    @org.osgi.service.component.annotations.Deactivate
    void deactivate() {
        org.xbill.DNS.NioClient.close();
    }

    @Override
    public void publish(EndpointRecord self) {
        dns.publish(self);
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        return dns.resolve(id, listener);
    }

    @Override
    public String toString() {
        return dns + " (" + dns.lastPublish() + ")";
    }
}
