package org.quiver.transport.quic.impl;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many answers the endpoint gives one source IP address (an IPv6 /64 counting as one) that no connection of
 * ours vouches for (a pong to a ping from an id we have no peer entry for): a token bucket per address,
 * {@code burst} answers at once and {@code perSecond} after that, so that a spoofed source cannot aim the
 * endpoint's answers at a victim. At most
 * {@link #MAX_SOURCES} addresses are remembered, the least recently seen forgotten first (a forgotten one starts
 * with a full bucket again: spreading spoofed sources gains one burst each). The relay keeps its own budget of
 * the same kind for STUN; the two bundles share no code.
 *
 * <p>Owned by the endpoint's path layer; touched on the event loop only, once per answer.
 */
final class StrangerBudget {
    static final int MAX_SOURCES = 4096;

    private final int burst;
    private final double perNano;
    private final Map<InetAddress, double[]> buckets = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, double[]> eldest) {
            return size() > MAX_SOURCES;
        }
    };

    StrangerBudget(int burst, int perSecond) {
        this.burst = burst;
        this.perNano = perSecond / 1e9;
    }

    /** Whether {@code source} may be answered at {@code now} (the loop's ticker); if so, one answer is taken from its budget. */
    boolean take(InetAddress source, long now) {
        InetAddress key = prefix(source);
        double[] b = buckets.get(key); // {tokens, last refill}
        if (b == null) {
            b = new double[] {burst, now};
            buckets.put(key, b);
        }
        b[0] = Math.min(burst, b[0] + (now - (long) b[1]) * perNano);
        b[1] = now;
        if (b[0] < 1) {
            return false;
        }
        b[0] -= 1;
        return true;
    }

    /**
     * The source a bucket is for: an IPv4 address, or an IPv6 /64 (interface id zeroed). A victim's /64 is one link:
     * spoofed sources spread over it would otherwise each get a fresh burst aimed at the same place.
     */
    static InetAddress prefix(InetAddress source) {
        if (!(source instanceof java.net.Inet6Address)) {
            return source;
        }
        byte[] b = source.getAddress();
        java.util.Arrays.fill(b, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException impossible) { // 16 bytes are always an address
            throw new IllegalStateException(impossible);
        }
    }
}
