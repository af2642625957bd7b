package org.quiver.api;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link EndpointId} plus what is known of how to reach it: a home relay URL and direct UDP socket
 * addresses. {@link #toTicket()} gives its compact, copy-pasteable text form.
 *
 * <p>Immutable. Direct addresses are resolved IP addresses (never host names), kept in the order given,
 * without duplicates.
 */
public final class EndpointAddr {
    /** Upper bound on direct addresses, so that an address record stays small and bounded. */
    public static final int MAX_DIRECT_ADDRESSES = 32;
    /** Upper bound on the length of a relay URL, in UTF-8 bytes. */
    public static final int MAX_RELAY_URL_BYTES = 1024;

    private final EndpointId id;
    private final URI relayUrl;
    private final List<InetSocketAddress> directAddresses;

    private EndpointAddr(EndpointId id, URI relayUrl, List<InetSocketAddress> directAddresses) {
        this.id = id;
        this.relayUrl = relayUrl;
        this.directAddresses = directAddresses;
    }

    /** An address that knows only the id. */
    public static EndpointAddr of(EndpointId id) {
        return new EndpointAddr(Objects.requireNonNull(id, "id"), null, List.of());
    }

    /**
     * An address with a relay (may be null) and direct addresses (may be empty).
     *
     * @throws IllegalArgumentException for a relay URL that is not an absolute ws(s) or http(s) URL, an unresolved
     *                                  or port-less direct address, or too many addresses
     */
    public static EndpointAddr of(EndpointId id, URI relayUrl, Collection<InetSocketAddress> directAddresses) {
        Objects.requireNonNull(id, "id");
        if (relayUrl != null) {
            checkRelayUrl(relayUrl);
        }
        LinkedHashSet<InetSocketAddress> unique = new LinkedHashSet<>();
        for (InetSocketAddress a : Objects.requireNonNull(directAddresses, "directAddresses")) {
            Objects.requireNonNull(a, "direct address");
            if (a.isUnresolved()) {
                throw new IllegalArgumentException("Direct address " + a + " is unresolved; give an IP address");
            }
            if (a.getPort() == 0) {
                throw new IllegalArgumentException("Direct address " + a + " has no port");
            }
            unique.add(a);
        }
        if (unique.size() > MAX_DIRECT_ADDRESSES) {
            throw new IllegalArgumentException("At most " + MAX_DIRECT_ADDRESSES + " direct addresses, got " + unique.size());
        }
        return new EndpointAddr(id, relayUrl, List.copyOf(unique));
    }

    /** Parses a ticket, as produced by {@link #toTicket()}; see {@link Ticket#decode(String)}. */
    public static EndpointAddr fromTicket(String ticket) {
        return Ticket.decode(ticket);
    }

    public EndpointId id() {
        return id;
    }

    public Optional<URI> relayUrl() {
        return Optional.ofNullable(relayUrl);
    }

    public List<InetSocketAddress> directAddresses() {
        return directAddresses;
    }

    /** Whether this address says anything beyond the id. */
    public boolean hasRoute() {
        return relayUrl != null || !directAddresses.isEmpty();
    }

    /** A copy with another relay URL (null removes it). */
    public EndpointAddr withRelayUrl(URI url) {
        return of(id, url, directAddresses);
    }

    /** A copy with other direct addresses. */
    public EndpointAddr withDirectAddresses(Collection<InetSocketAddress> addresses) {
        return of(id, relayUrl, addresses);
    }

    /**
     * This address merged with {@code other} (same id): the other's relay URL wins when it has one, and
     * direct addresses are the union, ours first, cut at {@link #MAX_DIRECT_ADDRESSES}.
     */
    public EndpointAddr merge(EndpointAddr other) {
        if (!id.equals(other.id)) {
            throw new IllegalArgumentException("Cannot merge addresses of different endpoints: " + id.shortString()
                    + " and " + other.id.shortString());
        }
        LinkedHashSet<InetSocketAddress> all = new LinkedHashSet<>(directAddresses);
        all.addAll(other.directAddresses);
        List<InetSocketAddress> cut = new ArrayList<>(all).subList(0, Math.min(all.size(), MAX_DIRECT_ADDRESSES));
        return of(id, other.relayUrl != null ? other.relayUrl : relayUrl, cut);
    }

    /** The compact text form; see {@link Ticket}. */
    public String toTicket() {
        return Ticket.encode(this);
    }

    static void checkRelayUrl(URI url) {
        String scheme = url.getScheme();
        if (!url.isAbsolute() || !("ws".equals(scheme) || "wss".equals(scheme) || "http".equals(scheme) || "https".equals(scheme))
                || url.getHost() == null) {
            throw new IllegalArgumentException("A relay URL is an absolute ws://, wss://, http:// or https:// URL with a host, got '"
                    + url + "'");
        }
        if (url.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_RELAY_URL_BYTES) {
            throw new IllegalArgumentException("A relay URL is at most " + MAX_RELAY_URL_BYTES + " bytes long");
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof EndpointAddr)) {
            return false;
        }
        EndpointAddr that = (EndpointAddr) o;
        return id.equals(that.id) && Objects.equals(relayUrl, that.relayUrl) && directAddresses.equals(that.directAddresses);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, relayUrl, directAddresses);
    }

    @Override
    public String toString() {
        return "EndpointAddr{" + id + (relayUrl != null ? ", relay=" + relayUrl : "")
                + (directAddresses.isEmpty() ? "" : ", direct=" + directAddresses) + "}";
    }
}
