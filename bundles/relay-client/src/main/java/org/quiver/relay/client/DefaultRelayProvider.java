package org.quiver.relay.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import org.quiver.api.EndpointId;
import org.quiver.api.RelayStatus;
import org.quiver.api.Watchable;
import org.quiver.api.WatchableValue;
import org.quiver.spi.relay.RelayContext;
import org.quiver.spi.relay.RelayLink;
import org.quiver.spi.relay.RelayProvider;

/**
 * The default relay provider: for each attached endpoint, a {@link RelayClient} per configured relay URL,
 * the home relay chosen by latency, and connections made on demand to the relays peers name as their home.
 *
 * <p>Where a datagram for a peer goes: the relay that peer was last heard from, else the relay its address
 * names (connected on demand, at most {@link #MAX_ON_DEMAND} at a time, closed after {@link #ON_DEMAND_IDLE}
 * unused), else our home relay. The home relay is the connected configured relay with the lowest latency;
 * it changes only when the current one is down or another is faster by {@link #HOME_MARGIN}.
 *
 * <p>Which relays a peer may make this node connect to by naming it (in a ticket, a discovery record) is the
 * operator's choice, {@link #onDemand(OnDemand)}: {@link OnDemand#ANY} by default (a peer at another relay can be
 * reached; at most {@link #MAX_ON_DEMAND} at a time; a login there is good at that relay only), {@link OnDemand#SECURE}
 * for {@code wss://} relays only, or {@link OnDemand#NONE} for configured relays only.
 *
 * <p>Owns one event loop thread; {@link #close()} detaches every link and stops it.
 */
public final class DefaultRelayProvider implements RelayProvider, AutoCloseable {
    /** Relays connected on demand (peers' home relays that are not configured) per link, at most. */
    public static final int MAX_ON_DEMAND = 8;
    /** An on-demand relay connection unused this long is closed. */
    public static final Duration ON_DEMAND_IDLE = Duration.ofSeconds(60);
    /** How much faster another relay must be to become home instead of a connected one. */
    public static final Duration HOME_MARGIN = Duration.ofMillis(10);
    /** Peers whose relay is remembered per link, at most (least recently heard go first). */
    public static final int MAX_REMEMBERED_PEERS = 4096;

    /** Which relays named by peers (not configured) this node connects to. */
    public enum OnDemand {
        /** Any ws:// or wss:// relay a peer names. */
        ANY,
        /** wss:// relays only (the relay's certificate is checked). */
        SECURE,
        /** None: configured relays only. */
        NONE
    }

    private volatile OnDemand onDemand = OnDemand.ANY;
    private final java.util.concurrent.atomic.LongAdder onDemandRefused = new java.util.concurrent.atomic.LongAdder();

    /** Sets which relays named by peers this node connects to; connections made already stay until unused. */
    public void onDemand(OnDemand policy) {
        this.onDemand = Objects.requireNonNull(policy, "policy");
    }

    public OnDemand onDemand() {
        return onDemand;
    }

    /** Datagrams whose peer named a relay the on-demand policy does not allow (they went by the home relay, if any). */
    public long onDemandRefused() {
        return onDemandRefused.sum();
    }

    private volatile RelayClient.Options options;
    private final EventLoopGroup group;
    private final Set<Link> links = new CopyOnWriteArraySet<>();
    private volatile List<URI> relays;
    private volatile boolean closed;
    private final java.util.function.LongSupplier nanoClock;

    /** A provider for {@code relays} (at least one {@code ws://} URL). */
    public DefaultRelayProvider(List<URI> relays, RelayClient.Options options) {
        this(relays, options, System::nanoTime);
    }

    /**
     * A provider for {@code relays} whose decisions in time (when an on-demand relay has been unused long enough to
     * close) go by {@code nanoClock}; tests move it.
     */
    public DefaultRelayProvider(List<URI> relays, RelayClient.Options options, java.util.function.LongSupplier nanoClock) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.options = Objects.requireNonNull(options, "options");
        this.relays = checked(relays);
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("quiver-relay-client", true), NioIoHandler.newFactory());
    }

    private static List<URI> checked(List<URI> relays) {
        List<URI> copy = List.copyOf(new java.util.LinkedHashSet<>(relays));
        for (URI u : copy) {
            RelayClient.checkUrl(u);
        }
        return copy;
    }

    @Override
    public List<URI> relays() {
        return relays;
    }

    /** Uses {@code urls} from now on: attached endpoints connect to new relays and leave removed ones. */
    public void relays(List<URI> urls) {
        relays(urls, options);
    }

    /**
     * Uses {@code urls} and {@code options} from now on; connections made with other options (another set
     * of trusted certificates, say) are made again.
     */
    public void relays(List<URI> urls, RelayClient.Options newOptions) {
        List<URI> checked = checked(urls);
        this.options = Objects.requireNonNull(newOptions, "options");
        this.relays = checked;
        for (Link l : links) {
            group.execute(l::reconcile);
        }
    }

    @Override
    public RelayLink attach(RelayContext context) {
        if (closed) {
            throw new IllegalStateException("The relay provider is closed");
        }
        Link link = new Link(context);
        // the configured relays' clients exist when attach returns, connecting: a caller that asks at once which relays
        // the link uses (a `-c` command right after the endpoint starts) sees them, not an empty list. Made before the
        // link is listed, so that no reconfiguration reconciles it meanwhile; the loop's reconcile does the rest.
        for (URI u : relays) {
            link.clients.computeIfAbsent(u, link::client);
        }
        links.add(link);
        group.execute(link::reconcile);
        return link;
    }

    /** The links attached now. */
    public List<RelayLink> links() {
        return List.copyOf(links);
    }

    @Override
    public void close() {
        closed = true;
        for (Link l : links) {
            l.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One endpoint's relay connections. Its maps are touched on the provider's loop, or under its lock. */
    private final class Link implements RelayLink, RelayClient.Receiver {
        private final RelayContext context;
        private final Map<URI, RelayClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<URI, Long> onDemandUsed = new java.util.concurrent.ConcurrentHashMap<>();
        private final WatchableValue<Optional<URI>> home = new WatchableValue<>("home relay", Optional.empty());
        private final Map<EndpointId, URI> heardVia = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<EndpointId, URI> eldest) {
                return size() > MAX_REMEMBERED_PEERS;
            }
        };
        private final io.netty.util.concurrent.ScheduledFuture<?> sweeper;
        private volatile boolean detached;

        Link(RelayContext context) {
            this.context = Objects.requireNonNull(context, "context");
            long every = ON_DEMAND_IDLE.toNanos() / 4;
            this.sweeper = group.scheduleAtFixedRate(this::sweep, every, every, TimeUnit.NANOSECONDS);
        }

        /** Loop: connects to configured relays not connected yet, leaves relays no longer configured. */
        void reconcile() {
            if (detached) {
                return;
            }
            List<URI> wanted = relays;
            RelayClient.Options now = options;
            for (Map.Entry<URI, RelayClient> e : List.copyOf(clients.entrySet())) {
                if (!e.getValue().options().equals(now)) {
                    clients.remove(e.getKey());
                    e.getValue().close(); // made again below (or on demand) with the new options
                }
            }
            for (URI u : wanted) {
                onDemandUsed.remove(u); // configured now: kept for good
                clients.computeIfAbsent(u, this::client);
            }
            for (Map.Entry<URI, RelayClient> e : List.copyOf(clients.entrySet())) {
                if (!wanted.contains(e.getKey()) && !onDemandUsed.containsKey(e.getKey())) {
                    clients.remove(e.getKey());
                    e.getValue().close();
                }
            }
            chooseHome();
        }

        private RelayClient client(URI url) {
            return new RelayClient(url, context.localId(), context::sign, this, group.next(), options).start();
        }

        /** Loop: closes on-demand relays nobody used for a while. */
        private void sweep() {
            long now = nanoClock.getAsLong();
            for (Map.Entry<URI, Long> e : List.copyOf(onDemandUsed.entrySet())) {
                if (now - e.getValue() > ON_DEMAND_IDLE.toNanos()) {
                    onDemandUsed.remove(e.getKey());
                    RelayClient c = clients.remove(e.getKey());
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }

        private void chooseHome() {
            Optional<URI> current = home.get();
            RelayClient cur = current.map(clients::get).orElse(null);
            boolean curUp = cur != null && relays.contains(cur.url()) && cur.state().get() == RelayClient.State.CONNECTED;
            RelayClient best = null;
            for (URI u : relays) {
                RelayClient c = clients.get(u);
                if (c == null || c.state().get() != RelayClient.State.CONNECTED) {
                    continue;
                }
                if (best == null || latency(c) < latency(best)) {
                    best = c;
                }
            }
            if (best == null) {
                if (!curUp && !current.isEmpty()) {
                    home.set(Optional.empty());
                }
                return;
            }
            if (curUp && (best == cur || latency(cur) - latency(best) < HOME_MARGIN.toNanos())) {
                return;
            }
            home.set(Optional.of(best.url()));
        }

        private long latency(RelayClient c) {
            return c.latency().map(Duration::toNanos).orElse(Long.MAX_VALUE / 4);
        }

        /** The network changed: every relay connection of this link is checked at once (see {@link RelayClient#recheck}). */
        @Override
        public void networkChanged() {
            clients.values().forEach(RelayClient::recheck);
        }

        @Override
        public Watchable<Optional<URI>> home() {
            return home;
        }

        @Override
        public boolean send(EndpointId destination, URI relayHint, ByteBuffer datagram) {
            RelayClient c = clientFor(destination, relayHint);
            int n = datagram.remaining();
            return c != null && n > 0 && n <= org.quiver.relay.protocol.RelayFrame.MAX_DATAGRAM && c.send(destination, datagram);
        }

        @Override
        public boolean send(EndpointId destination, URI relayHint, ByteBuffer datagrams, int segmentSize) {
            RelayClient c = clientFor(destination, relayHint);
            int n = datagrams.remaining();
            return c != null && n > 0 && segmentSize > 0 && segmentSize <= org.quiver.relay.protocol.RelayFrame.MAX_DATAGRAM
                    && c.send(destination, datagrams, segmentSize);
        }

        /** The client to reach {@code destination} by: the relay it was heard through, its hint, else our home; or null. */
        private RelayClient clientFor(EndpointId destination, URI relayHint) {
            if (detached) {
                return null;
            }
            URI via;
            synchronized (heardVia) {
                via = heardVia.get(destination);
            }
            RelayClient c = via == null ? null : clients.get(via);
            if ((c == null || c.state().get() != RelayClient.State.CONNECTED) && relayHint != null) {
                c = clients.get(relayHint);
                if (c == null && !allowed(relayHint)) {
                    onDemandRefused.increment();
                } else if (c == null && onDemandUsed.size() < MAX_ON_DEMAND && isRelayUrl(relayHint)) {
                    URI hint = relayHint;
                    onDemandUsed.put(hint, nanoClock.getAsLong());
                    group.execute(() -> {
                        if (!detached && onDemandUsed.containsKey(hint)) {
                            clients.computeIfAbsent(hint, this::client);
                        }
                    });
                } else if (c != null && onDemandUsed.containsKey(relayHint)) {
                    onDemandUsed.put(relayHint, nanoClock.getAsLong());
                }
            }
            if (c == null || c.state().get() != RelayClient.State.CONNECTED) {
                c = home.get().map(clients::get).orElse(null);
            }
            return c;
        }

        private boolean allowed(URI u) {
            OnDemand policy = onDemand;
            return policy == OnDemand.ANY || (policy == OnDemand.SECURE && "wss".equalsIgnoreCase(u.getScheme()));
        }

        private boolean isRelayUrl(URI u) {
            try {
                RelayClient.checkUrl(u);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }

        @Override
        public void datagram(RelayClient from, EndpointId source, byte[] datagram) {
            heard(from, source);
            context.deliver(source, ByteBuffer.wrap(datagram));
        }

        @Override
        public void datagrams(RelayClient from, EndpointId source, byte[] datagrams, int segmentSize) {
            heard(from, source);
            context.deliver(source, ByteBuffer.wrap(datagrams), segmentSize);
        }

        /** {@code source} was heard through {@code from}: its datagrams go back that way. */
        private void heard(RelayClient from, EndpointId source) {
            synchronized (heardVia) {
                heardVia.put(source, from.url());
            }
            Long used = onDemandUsed.get(from.url());
            if (used != null) {
                onDemandUsed.put(from.url(), nanoClock.getAsLong());
            }
        }

        @Override
        public void gone(RelayClient from, EndpointId id) {
            synchronized (heardVia) {
                heardVia.remove(id, from.url());
            }
        }

        @Override
        public void changed(RelayClient client) {
            if (!detached) {
                chooseHome();
            }
        }

        @Override
        public List<RelayStatus> status() {
            URI h = home.get().orElse(null);
            List<RelayStatus> out = new ArrayList<>();
            for (RelayClient c : clients.values()) {
                out.add(new RelayStatus(c.url(), c.state().get().name() + (onDemandUsed.containsKey(c.url()) ? " (on demand)" : ""),
                        c.latency(), c.url().equals(h), c.lastProblem()));
            }
            out.sort(java.util.Comparator.comparing(s -> s.url().toString()));
            return out;
        }

        @Override
        public void close() {
            if (detached) {
                return;
            }
            detached = true;
            links.remove(this);
            sweeper.cancel(false);
            for (RelayClient c : clients.values()) {
                c.close();
            }
            clients.clear();
            home.set(Optional.empty());
            home.close();
        }
    }
}
