package org.quiver.transport.quic.impl;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.quiver.api.EndpointId;

/**
 * How old each resumable session is, so that none is resumed past the configured lifetime by this endpoint's own
 * clock (netty's client cache and BoringSSL keep their own, on the system clock, and a 1-second lifetime set on
 * them was still resumed 2.5 s later in a test). netty caches a session under the engine's peer host and port: the
 * host is the peer id dialed, the port here is a generation per (ALPN, id). When the session of a generation is
 * older than the lifetime, the next dial uses the next generation, for which no session is cached: a full handshake.
 *
 * <p>Called on the event loop (engines are made and handshakes end there); synchronized all the same. Bounded: the
 * least recently used entries go beyond twice the session cache's size. Owns no thread.
 */
final class SessionAges {
    private static final long NO_SESSION = Long.MIN_VALUE;

    private static final class Age {
        int generation;
        long madeNanos = NO_SESSION;
    }

    private final long lifetimeNanos;
    private final LongSupplier ticker;
    private final Map<String, Age> ages;

    SessionAges(Tls.Resumption resumption, LongSupplier ticker) {
        this.lifetimeNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(resumption.lifetimeSeconds());
        this.ticker = ticker;
        int max = 2 * resumption.sessions() + 16;
        this.ages = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Age> eldest) {
                return size() > max;
            }
        };
    }

    /** The engine port for a dial to {@code id} with {@code alpn}: its session's generation, a new one if that one is too old. */
    synchronized int portFor(String alpn, EndpointId id) {
        Age age = ages.get(alpn + '\u0000' + id);
        if (age == null) {
            return 1;
        }
        if (age.madeNanos != NO_SESSION && ticker.getAsLong() - age.madeNanos > lifetimeNanos) {
            age.generation = (age.generation + 1) % 60_000; // never port 0, never past 65,535
            age.madeNanos = NO_SESSION;
        }
        return 1 + age.generation;
    }

    /** A dial's handshake ended: a full one made a new session now; a resumed one kept the session's age. */
    synchronized void handshake(String alpn, EndpointId id, boolean resumed) {
        Age age = ages.computeIfAbsent(alpn + '\u0000' + id, k -> new Age());
        if (!resumed || age.madeNanos == NO_SESSION) {
            age.madeNanos = ticker.getAsLong();
        }
    }
}
