package org.quiver.discovery.configured.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;

/**
 * One configured peer: an {@code org.quiver.discovery.static} factory configuration (for example the file
 * {@code conf/org.quiver.discovery.static-bob.cfg} with {@code id}, {@code relayUrl}, {@code addresses}).
 */
@Component(name = StaticPeerComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = StaticPeerComponent.class)
@Designate(ocd = StaticPeerComponent.Config.class, factory = true)
public final class StaticPeerComponent {
    public static final String PID = "org.quiver.discovery.static";

    @ObjectClassDefinition(name = "Quiver static peer", description = "A peer's address, known by configuration")
    public @interface Config {
        @AttributeDefinition(name = "Id", description = "The peer's EndpointId (52 base32 characters)")
        String id();

        @AttributeDefinition(name = "Relay URL", description = "ws(s)://host:port/relay; empty: none")
        String relayUrl() default "";

        @AttributeDefinition(name = "Addresses", description = "Direct addresses, comma-separated: 198.18.0.2:4433, [2001:db8::1]:4433")
        String addresses() default "";
    }

    private final EndpointAddr addr;

    @Activate
    public StaticPeerComponent(Config config) {
        this.addr = parse(config.id(), config.relayUrl(), config.addresses());
    }

    /** The peer as configured; IllegalArgumentException naming the PID and the bad value otherwise. */
    static EndpointAddr parse(String idText, String relayText, String addressesText) {
        EndpointId id;
        try {
            id = EndpointId.parse(idText == null ? "" : idText.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": id '" + idText + "': " + e.getMessage(), e);
        }
        URI relay = null;
        if (relayText != null && !relayText.isBlank()) {
            try {
                relay = new URI(relayText.strip());
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException(PID + ": relayUrl '" + relayText + "' is not a URL", e);
            }
        }
        List<InetSocketAddress> direct = new ArrayList<>();
        if (addressesText != null) {
            for (String part : addressesText.split(",")) {
                String a = part.strip();
                if (!a.isEmpty()) {
                    direct.add(address(a));
                }
            }
        }
        try {
            return EndpointAddr.of(id, relay, direct);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": " + e.getMessage(), e);
        }
    }

    private static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(PID + ": address '" + text + "' is not host:port (an IP address, [v6]:port for IPv6)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException(PID + ": address '" + text + "' must be an IP address, not a name");
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (NumberFormatException | java.net.UnknownHostException e) {
            throw new IllegalArgumentException(PID + ": address '" + text + "' has no valid port or IP address", e);
        }
    }

    EndpointAddr addr() {
        return addr;
    }
}
