package org.quiver.transport.quic.impl;

import java.util.List;
import org.quiver.api.PathKind;
import org.quiver.spi.path.PathCandidate;
import org.quiver.spi.path.PathSelector;

/**
 * The path choice while no {@link PathSelector} service is bound: while the path bundle is updated or
 * refreshed, or in a plain-Java endpoint built without a selector. It is deliberately not a policy: a peer
 * keeps the path it is on for as long as that path works; only when it has none, or it stopped working, does
 * it take the measured path with the lowest RTT, a direct one before any relay. So no connection moves
 * because a policy is missing, and none is left on a dead path. The real policy (RTT with hysteresis, the
 * IPv6 advantage) is the path bundle's {@code DefaultPathSelector}, or any selector that outranks it.
 *
 * <p>Stateless; called on the endpoint's event loop like any selector.
 */
final class HoldingSelector implements PathSelector {
    static final HoldingSelector INSTANCE = new HoldingSelector();

    private HoldingSelector() {
    }

    @Override
    public int select(List<PathCandidate> candidates, int current) {
        if (current >= 0 && current < candidates.size() && candidates.get(current).valid()) {
            return current;
        }
        int best = -1;
        for (int i = 0; i < candidates.size(); i++) {
            PathCandidate c = candidates.get(i);
            if (c.measured() && (best < 0 || beats(c, candidates.get(best)))) {
                best = i;
            }
        }
        return best;
    }

    private static boolean beats(PathCandidate c, PathCandidate best) {
        boolean direct = c.kind() == PathKind.DIRECT;
        boolean bestDirect = best.kind() == PathKind.DIRECT;
        return direct != bestDirect ? direct : c.rttNanos() < best.rttNanos();
    }

    @Override
    public String toString() {
        return "HoldingSelector{keep a working path; else lowest RTT, direct>relay}";
    }
}
