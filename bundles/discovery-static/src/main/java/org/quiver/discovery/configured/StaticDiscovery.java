package org.quiver.discovery.configured;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.Lookup;

/**
 * Answers lookups from a table of configured peers at once; publishes nothing. Thread-safe. Its results are
 * {@linkplain DiscoveryItem#configured configured}: the operator's word, which never goes stale (a node that
 * has run for a month still reaches its static peers).
 */
public final class StaticDiscovery implements Discovery {
    /** The provider's name in results and shell output. */
    public static final String NAME = "static";

    private record Entry(EndpointAddr addr, Instant since) {
    }

    private final Map<EndpointId, Entry> peers = new ConcurrentHashMap<>();

    /** Knows {@code addr} from now on (replacing what was known of its id). */
    public void put(EndpointAddr addr) {
        Objects.requireNonNull(addr, "addr");
        peers.put(addr.id(), new Entry(addr, Instant.now()));
    }

    /** Forgets {@code addr}, if that is what is known of its id. */
    public void remove(EndpointAddr addr) {
        peers.computeIfPresent(addr.id(), (id, e) -> e.addr().equals(addr) ? null : e);
    }

    /** How many peers are known. */
    public int size() {
        return peers.size();
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        Entry e = peers.get(id);
        if (e != null) {
            listener.found(DiscoveryItem.configured(e.addr(), NAME, e.since()));
        }
        listener.completed();
        return () -> { };
    }

    @Override
    public String toString() {
        return "StaticDiscovery{" + peers.size() + " peers}";
    }
}
