package org.quiver.transport.quic.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.QuiverException;

/**
 * One dial by id: every discovery provider at once, results merged as they come; the first result that gives a
 * usable path starts the dial, later ones add candidate paths. Bounded by the lookup timeout;
 * then (or when every provider is done without a result) the home relay is tried, or the dial fails
 * saying what each provider answered.
 *
 * <p>Threads: providers answer on their own threads, the timeout fires on the event loop; the state is guarded by
 * the lookup itself. It ends at the first dial's outcome, the timeout, or when every provider is done; then its
 * providers' lookups are cancelled.
 */
final class AddressLookup implements Runnable {
    /** What a lookup needs of the endpoint. */
    interface Host {
        /** The discovery providers now, with their names. */
        Map<org.quiver.spi.discovery.Discovery, String> providers();

        /** Runs {@code task} on the event loop after {@code nanos}. */
        void schedule(Runnable task, long nanos);

        /** The wall clock: how old a result is. */
        java.time.Instant now();

        org.quiver.spi.metrics.TransportMetrics metrics();

        /** Dials {@code a}. */
        CompletionStage<Connection> dial(EndpointAddr a, String alpn);

        /** Whether a dial to {@code a} has a path. */
        boolean usable(EndpointAddr a);

        /** A later result: its addresses become candidate paths of the peer being dialed. */
        void learnPublished(EndpointAddr a);

        /** Whether a relay is attached and has a home relay (the last resort of a lookup). */
        boolean hasHomeRelay();
    }

    private final Host host;
    private final Duration timeout;
    private final EndpointId id;
    private final String alpn;
    private final CompletableFuture<Connection> result = new CompletableFuture<>();
    private final List<org.quiver.spi.discovery.Lookup> lookups = new ArrayList<>();
    private final Map<String, String> outcomes = new java.util.LinkedHashMap<>();
    private final long started = System.nanoTime();
    private EndpointAddr merged;
    private int pending;
    private boolean dialing;
    private boolean over;

    AddressLookup(Host host, Duration timeout, EndpointId id, String alpn) {
        this.host = host;
        this.timeout = timeout;
        this.id = id;
        this.alpn = alpn;
        this.merged = EndpointAddr.of(id);
    }

    CompletionStage<Connection> start() {
        Map<org.quiver.spi.discovery.Discovery, String> providers = host.providers();
        synchronized (this) {
            pending = providers.size();
            providers.values().forEach(n -> outcomes.put(n, "no answer"));
        }
        for (Map.Entry<org.quiver.spi.discovery.Discovery, String> e : providers.entrySet()) {
            String name = e.getValue();
            try {
                org.quiver.spi.discovery.Lookup l = e.getKey().resolve(id, new Listener(name));
                synchronized (this) {
                    if (l != null) {
                        lookups.add(l);
                    }
                }
            } catch (RuntimeException | Error ex) {
                done(name, "failed: " + ex);
            }
        }
        try {
            host.schedule(this, timeout.toNanos());
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            result.completeExceptionally(new QuiverException("The endpoint is closed"));
        }
        result.whenComplete((c, e) -> cancelAll());
        return result;
    }

    /** The timeout. */
    @Override
    public void run() {
        synchronized (this) {
            if (over || dialing) {
                return;
            }
        }
        giveUp("no usable result within " + timeout.toMillis() + " ms");
    }

    private void cancelAll() {
        List<org.quiver.spi.discovery.Lookup> all;
        synchronized (this) {
            over = true;
            all = List.copyOf(lookups);
        }
        for (org.quiver.spi.discovery.Lookup l : all) {
            try {
                l.cancel();
            } catch (RuntimeException e) {
                // its own problem
            }
        }
    }

    void found(String name, org.quiver.spi.discovery.DiscoveryItem item) {
        String problem = null;
        if (item == null || item.addr() == null) {
            problem = "gave an empty result";
        } else if (!item.addr().id().equals(id)) {
            problem = "gave a result about " + item.addr().id().shortString();
        } else if (!item.configured()
                && item.updated().isBefore(host.now().minus(org.quiver.spi.discovery.EndpointRecord.DEFAULT_MAX_AGE))) {
            problem = "gave a stale result (" + item.updated() + ")";
        }
        EndpointAddr dial = null;
        EndpointAddr more = null;
        synchronized (this) {
            if (over) {
                return;
            }
            if (problem != null) {
                outcomes.put(name, problem);
                return;
            }
            outcomes.put(name, "found " + item.addr() + " in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
            merged = merged.merge(item.addr());
            if (!dialing && host.usable(merged)) {
                dialing = true;
                dial = merged;
            } else if (dialing) {
                more = merged;
            }
        }
        host.metrics().discoveryLookup(name, Duration.ofNanos(System.nanoTime() - started), true);
        if (dial != null) {
            host.dial(dial, alpn).whenComplete((c, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(c);
                }
            });
        } else if (more != null) {
            host.learnPublished(more);
        }
    }

    void done(String name, String outcome) {
        boolean allDone;
        synchronized (this) {
            if (outcome != null && "no answer".equals(outcomes.get(name))) {
                outcomes.put(name, outcome);
            }
            allDone = --pending <= 0 && !dialing && !over;
        }
        if (outcome != null && outcome.startsWith("failed")) {
            host.metrics().discoveryLookup(name, Duration.ofNanos(System.nanoTime() - started), false);
        }
        if (allDone) {
            giveUp("every provider answered");
        }
    }

    private void giveUp(String why) {
        String summary;
        synchronized (this) {
            if (over || dialing) {
                return;
            }
            if (host.hasHomeRelay()) {
                dialing = true; // nobody knows more: try our home relay, where the peer may be too
            } else {
                over = true;
            }
            summary = outcomes.toString();
        }
        if (dialing) {
            host.dial(EndpointAddr.of(id), alpn).whenComplete((c, e) -> {
                if (e != null) {
                    result.completeExceptionally(new QuiverException("Cannot reach " + id.shortString() + ": discovery found nothing usable ("
                            + why + "; " + summary + ") and the home relay did not reach it: " + e.getMessage(), e));
                } else {
                    result.complete(c);
                }
            });
            return;
        }
        result.completeExceptionally(new QuiverException("Cannot find " + id.shortString() + ": " + why + "; " + summary));
    }

    private final class Listener implements org.quiver.spi.discovery.DiscoveryListener {
        private final String name;
        private final AtomicBoolean finished = new AtomicBoolean();

        Listener(String name) {
            this.name = name;
        }

        @Override
        public void found(org.quiver.spi.discovery.DiscoveryItem item) {
            if (!finished.get()) {
                AddressLookup.this.found(name, item);
            }
        }

        @Override
        public void completed() {
            if (finished.compareAndSet(false, true)) {
                done(name, "nothing found");
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (finished.compareAndSet(false, true)) {
                done(name, "failed: " + cause);
            }
        }
    }
}
