package org.quiver.relay.server;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * How many answers the relay gives one source IP address ({@linkplain SourcePrefix an IPv6 /64}) to requests
 * nobody has authenticated (STUN): a token bucket per address ({@code burst} answers at once, {@code perSecond}
 * more each second), so that a spoofed source cannot turn the relay into a reflector aimed at a victim. Remembers at most {@link #MAX_SOURCES}
 * addresses, the least recently seen forgotten first (a forgotten one starts with a full bucket again, which
 * bounds what spreading spoofed sources can gain to one burst each). Thread-safe; touched on the relay's event
 * loops, once per request.
 */
final class SourceBudget {
    static final int MAX_SOURCES = 4096;

    private final int burst;
    private final double perNano;
    private final LongSupplier clock;
    private final Map<InetAddress, double[]> buckets = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, double[]> eldest) {
            return size() > MAX_SOURCES;
        }
    };

    SourceBudget(int burst, int perSecond, LongSupplier clock) {
        this.burst = burst;
        this.perNano = perSecond / 1e9;
        this.clock = clock;
    }

    /** Whether {@code source} may be answered now (and one answer is taken from its budget). */
    synchronized boolean take(InetAddress source) {
        long now = clock.getAsLong();
        InetAddress key = SourcePrefix.of(source); // an IPv6 /64 is one source
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
}
