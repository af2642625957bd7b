package org.quiver.relay.client.impl;

import java.net.URI;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.relay.client.RelayClient;

/**
 * One relay the node uses: one {@code org.quiver.relay.client} factory configuration (for example the file
 * {@code conf/org.quiver.relay.client-home.cfg} holding {@code url = ws://relay.example:3340/relay}). Seen
 * only by {@link RelayProviderComponent}, which connects to every configured relay.
 */
@Component(name = RelayUrlComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = RelayUrlComponent.class)
@Designate(ocd = RelayUrlComponent.Config.class, factory = true)
public final class RelayUrlComponent {
    public static final String PID = "org.quiver.relay.client";

    @ObjectClassDefinition(name = "Quiver relay", description = "A relay server this node connects to (one configuration per relay)")
    public @interface Config {
        @AttributeDefinition(name = "URL", description = "ws://host:port/relay, or wss:// for a relay with TLS")
        String url();

        @AttributeDefinition(name = "Trusted certificate", description = "PEM file of a certificate to trust for wss:// besides the JDK's CAs (a self-signed relay's, a private CA's); empty: none")
        String trustCertificate() default "";
    }

    private final URI url;
    private final java.nio.file.Path trust;

    @Activate
    public RelayUrlComponent(Config config) {
        String text = config.url() == null ? "" : config.url().strip();
        try {
            this.url = RelayClient.checkUrl(new URI(text));
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(PID + ": url '" + text + "' is not a URL: " + e.getMessage(), e);
        }
        String t = config.trustCertificate() == null ? "" : config.trustCertificate().strip();
        this.trust = t.isEmpty() ? null : java.nio.file.Path.of(t);
        if (trust != null && !java.nio.file.Files.isReadable(trust)) {
            throw new IllegalArgumentException(PID + ": trustCertificate " + trust + " cannot be read");
        }
    }

    URI url() {
        return url;
    }

    /** A certificate to trust, or null. */
    java.nio.file.Path trust() {
        return trust;
    }
}
