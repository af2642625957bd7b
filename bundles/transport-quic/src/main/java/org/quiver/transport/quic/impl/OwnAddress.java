package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.quiver.api.EndpointAddr;
import org.quiver.api.RelayStatus;
import org.quiver.api.WatchableValue;

/**
 * The endpoint's own address as peers should see it: the socket's interface addresses, the reflexive addresses
 * STUN reports (they lead), the home relay; and what our NAT looks like (for calls: {@link #natFlags}).
 *
 * <p>Threads: STUN answers and the reflexive changes run on the event loop; STUN server names are resolved on the
 * handler pool, never the loop; the home relay is set from the relay provider's thread. The address itself is a
 * {@link WatchableValue} (thread-safe) that the endpoint closes when it closes; nothing here runs after that.
 */
final class OwnAddress {
    private final EndpointThreads threads;
    private final java.util.function.BooleanSupplier closing;
    /** Punches again when a new own address appears, and tells which addresses the socket can reach. */
    private final PathLayer pathLayer;
    /** Publishes the own address to discovery (on the pool, never the loop). */
    private final Runnable publish;
    private final Reflexive reflexive;
    /** STUN servers configured, or null: each relay's host ({@link #autoStunServers}). */
    private final List<InetSocketAddress> stunServers;
    private volatile List<InetSocketAddress> interfaceAddresses = List.of();
    private WatchableValue<EndpointAddr> addr;

    OwnAddress(EndpointThreads threads, java.util.function.BooleanSupplier closing, PathLayer pathLayer, Runnable publish,
               Reflexive.Output stunOut, List<InetSocketAddress> stunServers) {
        this.threads = threads;
        this.closing = closing;
        this.pathLayer = pathLayer;
        this.publish = publish;
        this.stunServers = stunServers;
        this.reflexive = new Reflexive(stunOut, this::reflexiveChanged);
    }

    /** Starts with the socket bound at {@code local}: its interface addresses, and STUN when servers were configured. */
    WatchableValue<EndpointAddr> start(org.quiver.api.EndpointId id, InetSocketAddress local) {
        this.interfaceAddresses = directAddresses(local);
        this.addr = new WatchableValue<>("own address", EndpointAddr.of(id, null, interfaceAddresses));
        if (stunServers != null) {
            resolveStunServers(stunServers);
        }
        return addr;
    }

    /**
     * Loop: the network changed, the socket's addresses are {@code now}: they replace the interface addresses in the
     * own address (reflexive ones are asked for again at once), and it is published.
     */
    void interfacesChanged(List<InetSocketAddress> now) {
        if (addr == null || addr.isClosed()) {
            return;
        }
        this.interfaceAddresses = List.copyOf(now);
        java.util.LinkedHashSet<InetSocketAddress> all = new java.util.LinkedHashSet<>(reflexive.addresses());
        all.addAll(interfaceAddresses);
        List<InetSocketAddress> list = new ArrayList<>(all);
        addr.update(a -> a.withDirectAddresses(list.subList(0, Math.min(list.size(), EndpointAddr.MAX_DIRECT_ADDRESSES))));
        reflexive.refresh(); // the NAT in front of us may be another one now
        offPool(publish);
    }

    /** STUN, for the path layer's datagrams that are STUN answers and for the endpoint's periodic tick. */
    Reflexive reflexive() {
        return reflexive;
    }

    /** The reflexive addresses STUN servers reported for the socket. */
    List<InetSocketAddress> reflexiveAddresses() {
        return reflexive.addresses();
    }

    /** Our NAT as STUN saw it, for calls. */
    int natFlags() {
        int flags = reflexive.mappingVaries() ? Probe.FLAG_HARD : 0;
        List<InetSocketAddress> seen = reflexive.addresses();
        if (!seen.isEmpty()) {
            boolean own = false;
            for (InetSocketAddress r : seen) {
                for (InetSocketAddress i : interfaceAddresses) {
                    own |= i.getAddress().equals(r.getAddress());
                }
            }
            flags |= own ? 0 : Probe.FLAG_NATED;
        }
        return flags;
    }

    /**
     * The home relay is now {@code home} (null: none); with no configured STUN servers, the relays' hosts are asked.
     * False when the address is closed (the endpoint closed meanwhile).
     */
    boolean homeRelay(java.net.URI home, List<RelayStatus> relays) {
        if (addr == null || addr.isClosed()) { // not started yet (the endpoint attaches its relay after), or closed
            return false;
        }
        try {
            addr.update(a -> a.withRelayUrl(home));
        } catch (org.quiver.api.WatchableClosedException closed) {
            return false;
        }
        if (stunServers == null) {
            autoStunServers(relays);
        }
        return true;
    }

    /**
     * STUN at each relay's host, ports {@value EndpointBuilder#STUN_PORT} and the one above (the default when no
     * servers were configured): two destinations, so a NAT that maps per destination shows.
     */
    private void autoStunServers(List<RelayStatus> relays) {
        List<InetSocketAddress> auto = new ArrayList<>();
        for (RelayStatus r : relays) {
            String h = r.url().getHost();
            if (h != null) {
                String bare = h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
                auto.add(InetSocketAddress.createUnresolved(bare, EndpointBuilder.STUN_PORT));
                auto.add(InetSocketAddress.createUnresolved(bare, EndpointBuilder.STUN_PORT + 1)); // is our mapping per destination?
            }
        }
        resolveStunServers(auto);
    }

    /** Resolves host names on a pool thread (never the loop), then asks the servers of the socket's family. */
    private void resolveStunServers(List<InetSocketAddress> servers) {
        // refused when closing, or a thousand tasks queued: the next home change tries again
        offPool(() -> {
            List<InetSocketAddress> resolved = new ArrayList<>();
            for (InetSocketAddress s : servers) {
                InetSocketAddress r = s.isUnresolved() ? new InetSocketAddress(s.getHostString(), s.getPort()) : s;
                if (!r.isUnresolved() && pathLayer.reachable(r) && !resolved.contains(r)) {
                    resolved.add(r);
                }
            }
            threads.onLoop(() -> reflexive.servers(resolved));
        });
    }

    /** Loop: the reflexive addresses changed; they lead the own address's direct addresses, and peers hear of them. */
    private void reflexiveChanged(List<InetSocketAddress> found) {
        if (addr == null || addr.isClosed()) {
            return;
        }
        java.util.LinkedHashSet<InetSocketAddress> all = new java.util.LinkedHashSet<>(found);
        all.addAll(interfaceAddresses);
        List<InetSocketAddress> list = new ArrayList<>(all);
        addr.update(a -> a.withDirectAddresses(list.subList(0, Math.min(list.size(), EndpointAddr.MAX_DIRECT_ADDRESSES))));
        if (!reflexive.mappingVaries()) {
            // a new address peers may reach: punch again. Behind a NAT that maps per destination the ports
            // STUN sees change whenever a mapping expires and say nothing to peers: no new rounds for that
            pathLayer.ownCandidatesChanged(pathLayer.paths.now());
        }
        offPool(publish); // signing takes a millisecond: not on the loop (busy: the half-hourly one carries it)
    }

    /**
     * The addresses others may reach the socket at: itself, or for a wildcard bind every up interface's
     * address of its family (non-loopback first), at most {@link EndpointAddr#MAX_DIRECT_ADDRESSES}.
     */
    static List<InetSocketAddress> directAddresses(InetSocketAddress local) {
        if (!local.getAddress().isAnyLocalAddress()) {
            return List.of(local);
        }
        boolean v6 = local.getAddress() instanceof java.net.Inet6Address;
        List<InetSocketAddress> found = new ArrayList<>();
        List<InetSocketAddress> loopback = new ArrayList<>();
        try {
            for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (java.net.InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                    if ((a instanceof java.net.Inet6Address) != v6 && !v6 || a.isLinkLocalAddress()) {
                        continue;
                    }
                    // without the interface's scope: an address others reach (global or unique local) has none for them
                    java.net.InetAddress unscoped = java.net.InetAddress.getByAddress(a.getAddress());
                    (a.isLoopbackAddress() ? loopback : found).add(new InetSocketAddress(unscoped, local.getPort()));
                }
            }
        } catch (java.net.SocketException | java.net.UnknownHostException e) {
            return List.of();
        }
        found.addAll(loopback);
        return found.subList(0, Math.min(found.size(), EndpointAddr.MAX_DIRECT_ADDRESSES));
    }

    /** Runs {@code task} on the pool unless the endpoint is closing; false if it did not. */
    private boolean offPool(Runnable task) {
        return !closing.getAsBoolean() && threads.offPool(task);
    }
}
