package org.quiver.discovery.mdns.impl;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.api.EndpointId;
import org.quiver.discovery.mdns.MdnsDiscovery;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;
import org.quiver.spi.discovery.Lookup;

/**
 * The mDNS {@link Discovery} service while {@code org.quiver.discovery.mdns} is configured (LAN announcements
 * are opt-in). A thin adapter; deactivating it withdraws the announcement and stops the responder.
 */
@Component(name = MdnsDiscoveryComponent.PID, service = Discovery.class, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = Discovery.NAME_PROPERTY + "=" + MdnsDiscovery.NAME)
@Designate(ocd = MdnsDiscoveryComponent.Config.class)
public final class MdnsDiscoveryComponent implements Discovery {
    public static final String PID = "org.quiver.discovery.mdns";

    @ObjectClassDefinition(name = "Quiver mDNS discovery", description = "Peers on the same link, by multicast DNS")
    public @interface Config {
        @AttributeDefinition(name = "Bind address", description = "IP of the interface to announce and ask on; empty: JmDNS's choice")
        String bindAddress() default "";

        @AttributeDefinition(name = "Timeout (ms)", description = "How long a lookup waits for an answer on the link")
        int timeoutMillis() default 2000;

        @AttributeDefinition(name = "Maximum record age (h)", description = "Records signed longer ago are refused")
        int maxAgeHours() default 24;
    }

    private final MdnsDiscovery mdns;

    @Activate
    public MdnsDiscoveryComponent(Config config) throws IOException {
        String bind = config.bindAddress() == null ? "" : config.bindAddress().strip();
        InetAddress at = null;
        if (!bind.isEmpty()) {
            if (!bind.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
                throw new IllegalArgumentException(PID + ": bindAddress '" + bind + "' is not an IP address");
            }
            at = InetAddress.getByName(bind);
        }
        this.mdns = new MdnsDiscovery(at, Duration.ofMillis(Math.max(100, config.timeoutMillis())), Duration.ofHours(Math.max(1, config.maxAgeHours())));
    }

    @Deactivate
    void deactivate() {
        mdns.close();
    }

    @Override
    public void publish(EndpointRecord self) {
        mdns.publish(self);
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        return mdns.resolve(id, listener);
    }

    @Override
    public String toString() {
        return mdns.toString();
    }
}
