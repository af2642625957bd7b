package org.quiver.discovery.configured.impl;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.quiver.api.EndpointId;
import org.quiver.discovery.configured.StaticDiscovery;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.Lookup;

/** The static {@link Discovery} service, present while at least one peer is configured. A thin adapter. */
@Component(name = "org.quiver.discovery.static.provider", service = Discovery.class, immediate = true, property = Discovery.NAME_PROPERTY + "=" + StaticDiscovery.NAME)
public final class StaticDiscoveryComponent implements Discovery {
    private final StaticDiscovery discovery = new StaticDiscovery();

    @Reference(cardinality = ReferenceCardinality.AT_LEAST_ONE, policy = ReferencePolicy.DYNAMIC)
    void addPeer(StaticPeerComponent peer) {
        discovery.put(peer.addr());
    }

    void removePeer(StaticPeerComponent peer) {
        discovery.remove(peer.addr());
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        return discovery.resolve(id, listener);
    }

    int size() {
        return discovery.size();
    }
}
