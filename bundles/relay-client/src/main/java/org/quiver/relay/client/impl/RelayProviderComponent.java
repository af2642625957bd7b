package org.quiver.relay.client.impl;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.spi.relay.RelayContext;
import org.quiver.spi.relay.RelayLink;
import org.quiver.spi.relay.RelayProvider;

/**
 * The default {@link RelayProvider} service, present while at least one relay is configured; adding or
 * removing a relay configuration updates it in place (attached endpoints connect and leave), so the
 * endpoint keeps its provider and its connections. A thin adapter over {@link DefaultRelayProvider}.
 *
 * <p>The framework property {@value #ON_DEMAND_PROPERTY} ({@code any}, the default; {@code wss}; {@code none}) says
 * which relays that peers name (not configured here) the node connects to.
 */
@Component(name = "org.quiver.relay.client.provider", service = RelayProvider.class, immediate = true, property = {"service.ranking:Integer=0", "quiver.relay.provider=default"})
public final class RelayProviderComponent implements RelayProvider {
    /** Framework property: which relays named by peers the node connects to: any, wss or none. */
    public static final String ON_DEMAND_PROPERTY = "quiver.relay.onDemand";
    private final List<RelayUrlComponent> configured = new CopyOnWriteArrayList<>();
    private volatile DefaultRelayProvider provider;

    @Reference(cardinality = ReferenceCardinality.AT_LEAST_ONE, policy = ReferencePolicy.DYNAMIC)
    void addRelay(RelayUrlComponent relay) {
        configured.add(relay);
        update();
    }

    void removeRelay(RelayUrlComponent relay) {
        configured.remove(relay);
        update();
    }

    @Activate
    void activate(org.osgi.framework.BundleContext context) {
        DefaultRelayProvider p = new DefaultRelayProvider(urls(), options());
        p.onDemand(onDemand(context.getProperty(ON_DEMAND_PROPERTY)));
        provider = p;
    }

    /** The policy a framework property names; an unknown value is an error, not a silent default. */
    static DefaultRelayProvider.OnDemand onDemand(String value) {
        if (value == null || value.isBlank()) {
            return DefaultRelayProvider.OnDemand.ANY;
        }
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "any" -> DefaultRelayProvider.OnDemand.ANY;
            case "wss" -> DefaultRelayProvider.OnDemand.SECURE;
            case "none" -> DefaultRelayProvider.OnDemand.NONE;
            default -> throw new IllegalArgumentException(ON_DEMAND_PROPERTY + " is any, wss or none, got '" + value + "'");
        };
    }

    /** The provider while active (tests, the shell); null otherwise. */
    DefaultRelayProvider provider() {
        return provider;
    }

    @Deactivate
    void deactivate() {
        DefaultRelayProvider p = provider;
        provider = null;
        if (p != null) {
            p.close();
        }
    }

    private List<URI> urls() {
        List<URI> urls = new ArrayList<>();
        for (RelayUrlComponent r : configured) {
            urls.add(r.url());
        }
        return urls;
    }

    /** The defaults, trusting every certificate a relay configuration names. */
    private RelayClient.Options options() {
        java.util.Set<java.nio.file.Path> trust = new java.util.LinkedHashSet<>();
        for (RelayUrlComponent r : configured) {
            if (r.trust() != null) {
                trust.add(r.trust());
            }
        }
        return RelayClient.Options.DEFAULT.withTrust(List.copyOf(trust));
    }

    private synchronized void update() {
        DefaultRelayProvider p = provider;
        if (p != null) {
            p.relays(urls(), options());
        }
    }

    @Override
    public List<URI> relays() {
        DefaultRelayProvider p = provider;
        return p == null ? List.of() : p.relays();
    }

    @Override
    public RelayLink attach(RelayContext context) {
        DefaultRelayProvider p = provider;
        if (p == null) {
            throw new IllegalStateException("The relay provider is not active");
        }
        return p.attach(context);
    }
}
