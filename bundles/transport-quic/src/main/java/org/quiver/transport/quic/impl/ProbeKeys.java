package org.quiver.transport.quic.impl;

import java.util.concurrent.TimeUnit;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * The keys that authenticate probes and calls ({@link Probe}): one per peer, from a key agreement between our
 * identity and the peer's id. An agreement costs ~0.2 ms, so keys are cached ({@link #MAX_KEYS}, least recently
 * used go first) and a sender not in the cache gets a new one only while the budget of {@link #KEYS_PER_SECOND}
 * lasts: a flood of probes from throwaway ids costs at most that many agreements a second.
 *
 * <p>Event loop only (the path layer's); plain state, no thread.
 */
final class ProbeKeys {
    /** Key agreements with senders not in the cache, per second at most (each costs ~0.2 ms). */
    static final int KEYS_PER_SECOND = 200;
    /** Probe keys cached (least recently used go first). */
    static final int MAX_KEYS = 1024;

    private final LocalIdentity identity;
    private final java.util.LinkedHashMap<java.nio.ByteBuffer, Probe.Keyed> cache = new java.util.LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<java.nio.ByteBuffer, Probe.Keyed> eldest) {
            return size() > MAX_KEYS;
        }
    };
    private long budgetWindow;
    private int budgetUsed;

    ProbeKeys(LocalIdentity identity) {
        this.identity = identity;
    }

    /** The cached key of a sender's raw id at {@code offset} of {@code d}, or a new one while the budget lasts; null otherwise. */
    Probe.Keyed lookup(byte[] d, int offset, long now) {
        Probe.Keyed k = cache.get(java.nio.ByteBuffer.wrap(d, offset, 32));
        if (k != null) {
            return k;
        }
        if (now - budgetWindow >= TimeUnit.SECONDS.toNanos(1)) {
            budgetWindow = now;
            budgetUsed = 0;
        }
        if (++budgetUsed > KEYS_PER_SECOND) {
            return null;
        }
        try {
            return keyFor(EndpointId.fromBytes(java.util.Arrays.copyOfRange(d, offset, offset + 32)));
        } catch (IllegalArgumentException e) {
            return null; // not a curve point, or a low-order key
        }
    }

    /** The key shared with {@code peer}, made (and cached) if needed. */
    Probe.Keyed keyFor(EndpointId peer) {
        java.nio.ByteBuffer k = java.nio.ByteBuffer.wrap(peer.toBytes());
        Probe.Keyed keyed = cache.get(k);
        if (keyed == null) {
            keyed = new Probe.Keyed(peer, Probe.mac(identity, peer));
            cache.put(k, keyed);
        }
        return keyed;
    }
}
