package org.quiver.transport.quic.impl;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.api.QuiverException;
import org.quiver.api.WatchableValue;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.EndpointRecord;

/**
 * The discovery providers an endpoint uses: publishing its signed address to them (when one is added, when the
 * address changes, and every 30 minutes, well inside the 24 h a record is accepted for) and dialing by id through
 * them ({@link AddressLookup}), with later results becoming candidate paths of the peer being dialed.
 *
 * <p>Threads: providers are added and removed from any thread (a concurrent map); publishing runs on the handler
 * pool, never on the event loop (a provider may block); lookups are the {@link AddressLookup}'s. Owns no thread;
 * once the endpoint closes nothing more is published and the pool refuses the rest.
 */
final class Discoveries implements AddressLookup.Host {
    private final Map<Discovery, String> providers = new ConcurrentHashMap<>();
    private final LocalIdentity identity;
    /** The own address, once the socket is bound ({@link #start}); nothing is published before. */
    private volatile WatchableValue<EndpointAddr> addr;
    private final Clock clock;
    private final Duration lookupTimeout;
    private final EndpointThreads threads;
    private final Metrics metrics;
    private final BooleanSupplier closing;
    private final BiFunction<EndpointAddr, String, CompletionStage<Connection>> dial;
    private final Dialer dialer;
    private final RelayTransport relays;
    private final PathTable paths;
    private final PathLayer pathLayer;

    Discoveries(LocalIdentity identity, Clock clock, Duration lookupTimeout,
                EndpointThreads threads, Metrics metrics, BooleanSupplier closing,
                BiFunction<EndpointAddr, String, CompletionStage<Connection>> dial, Dialer dialer, RelayTransport relays,
                PathTable paths, PathLayer pathLayer) {
        this.identity = identity;
        this.clock = clock;
        this.lookupTimeout = lookupTimeout;
        this.threads = threads;
        this.metrics = metrics;
        this.closing = closing;
        this.dial = dial;
        this.dialer = dialer;
        this.relays = relays;
        this.paths = paths;
        this.pathLayer = pathLayer;
    }

    /** Publishes {@code own} from now on: to every provider now, and whenever it changes. */
    void start(WatchableValue<EndpointAddr> own) {
        this.addr = own;
        publish(null);
    }

    /** Uses {@code provider} (called {@code name}) from now on, and publishes the own address to it now. */
    void add(Discovery provider, String name) {
        providers.put(Objects.requireNonNull(provider, "provider"), Objects.requireNonNull(name, "name"));
        publish(provider);
    }

    /** Stops using {@code provider}; lookups it is running end by their own timeout or result. */
    void remove(Discovery provider) {
        providers.remove(provider);
    }

    /** Signs the own address now and hands it to {@code only} (or, null, to every provider) on the pool. */
    void publish(Discovery only) {
        WatchableValue<EndpointAddr> own = addr;
        if (closing.getAsBoolean() || own == null || own.isClosed()) {
            return;
        }
        EndpointRecord record;
        try {
            record = EndpointRecord.sign(own.get(), clock.instant(), identity::sign);
        } catch (RuntimeException e) {
            return; // the identity cannot sign (being replaced): the next change publishes
        }
        List<Discovery> targets = only != null ? List.of(only) : List.copyOf(providers.keySet());
        for (Discovery d : targets) {
            boolean handed = threads.offPool(() -> {
                try {
                    d.publish(record);
                } catch (RuntimeException | Error e) {
                    // fire and forget: a provider's failure is its own
                }
            });
            if (!handed) {
                return; // closing or busy: the next change or the periodic publish sends it
            }
        }
    }

    /** A dial to {@code id} by its id alone: through the providers, else through the home relay, else a clear error. */
    CompletionStage<Connection> connect(EndpointId id, String alpn) {
        if (!providers.isEmpty()) {
            return new AddressLookup(this, lookupTimeout, id, alpn).start();
        }
        if (relays.attached()) {
            return dial.apply(EndpointAddr.of(id), alpn); // through our home relay: the peer may be there too
        }
        return CompletableFuture.failedFuture(new QuiverException("Cannot connect to " + id.shortString()
                + " by id alone: no discovery is available yet; connect with a ticket (EndpointAddr) instead"));
    }

    @Override
    public Map<Discovery, String> providers() {
        return Map.copyOf(providers);
    }

    @Override
    public void schedule(Runnable task, long nanos) {
        threads.schedule(task, nanos);
    }

    @Override
    public java.time.Instant now() {
        return clock.instant();
    }

    @Override
    public org.quiver.spi.metrics.TransportMetrics metrics() {
        return metrics.get();
    }

    @Override
    public CompletionStage<Connection> dial(EndpointAddr a, String alpn) {
        return dial.apply(a, alpn);
    }

    /** Whether a dial to {@code a} has a path: a direct address this socket can use, or a relay. */
    @Override
    public boolean usable(EndpointAddr a) {
        return dialer.pickDirect(a) != null || (relays.attached() && a.relayUrl().isPresent());
    }

    /** A later discovery result: its addresses become candidate paths of a peer being dialed. */
    @Override
    public void learnPublished(EndpointAddr a) {
        PathTable.Peer p = paths.byId(a.id());
        if (p != null) {
            a.relayUrl().ifPresent(u -> {
                if (p.relayUrl == null) {
                    p.relayUrl = u;
                }
            });
            List<java.net.InetSocketAddress> direct = a.directAddresses();
            threads.onLoop(() -> pathLayer.published(p, direct));
        }
    }

    @Override
    public boolean hasHomeRelay() {
        return relays.attached() && relays.home() != null;
    }
}
