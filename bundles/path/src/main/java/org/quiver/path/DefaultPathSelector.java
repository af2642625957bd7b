package org.quiver.path;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.quiver.api.PathKind;
import org.quiver.spi.path.PathCandidate;
import org.quiver.spi.path.PathSelector;

/**
 * The default path choice (iroh's, with its constants):
 * <ul>
 *   <li>only valid paths with a measured RTT compete; direct paths beat relay paths, whatever the RTTs;</li>
 *   <li>among paths of one kind the lowest RTT wins, an IPv6 path's RTT counting {@link #IPV6_ADVANTAGE_NANOS}
 *       less;</li>
 *   <li>leaving a working current path needs an improvement of more than {@link #SWITCH_MIN_NANOS}
 *       (hysteresis), and a working direct path is never left for a relay;</li>
 *   <li>but an IPv4 path in use yields to an IPv6 one of its kind whose RTT is within the advantage of its own:
 *       the family is a preference, not noise, so it needs no hysteresis (else whichever family answered first
 *       would keep the connection at equal RTTs). Back to IPv4 takes the advantage and the hysteresis (8 ms):
 *       no flapping between families either;</li>
 *   <li>with nothing measured yet, a current path that still works is kept.</li>
 * </ul>
 * Stateless and allocation-free; ties go to IPv6, then to the earlier candidate.
 */
public final class DefaultPathSelector implements PathSelector {
    /** The improvement a path must offer before the current one is left: 5 ms. */
    public static final long SWITCH_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** What an IPv6 path's RTT is reduced by when compared: 3 ms. */
    public static final long IPV6_ADVANTAGE_NANOS = TimeUnit.MILLISECONDS.toNanos(3);

    @Override
    public int select(List<PathCandidate> candidates, int current) {
        int n = candidates.size();
        int best = -1;
        boolean bestDirect = false;
        long bestRtt = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            PathCandidate c = candidates.get(i);
            if (!c.measured()) {
                continue;
            }
            boolean direct = c.kind() == PathKind.DIRECT;
            long rtt = effectiveRtt(c);
            boolean faster = rtt < bestRtt || rtt == bestRtt && c.ipv6() && !candidates.get(best).ipv6(); // a tie goes to IPv6
            if (best < 0 || (direct && !bestDirect) || (direct == bestDirect && faster)) {
                best = i;
                bestDirect = direct;
                bestRtt = rtt;
            }
        }
        PathCandidate cur = current >= 0 && current < n ? candidates.get(current) : null;
        if (cur == null || !cur.valid()) {
            return best;
        }
        if (best < 0 || best == current) {
            return current; // nothing measured beats a path that still works
        }
        boolean curDirect = cur.kind() == PathKind.DIRECT;
        if (curDirect != bestDirect) {
            return curDirect ? current : best; // never direct -> relay; always relay -> direct
        }
        if (!cur.measured()) {
            return best; // the current path works but was never measured: the measured one is known good
        }
        if (!cur.ipv6() && candidates.get(best).ipv6() && bestRtt <= cur.rttNanos()) {
            return best; // IPv6 within the advantage of the IPv4 path in use
        }
        return effectiveRtt(cur) - bestRtt > SWITCH_MIN_NANOS ? best : current;
    }

    /**
     * The RTT a candidate competes with: its estimate, less the IPv6 advantage (below zero for an IPv6 path under
     * 3 ms: the order among such paths is kept).
     */
    public static long effectiveRtt(PathCandidate c) {
        long rtt = c.rttNanos();
        return c.ipv6() ? rtt - IPV6_ADVANTAGE_NANOS : rtt;
    }

    @Override
    public String toString() {
        return "DefaultPathSelector{switch>5ms, ipv6-3ms (and no switch margin from ipv4), direct>relay}";
    }
}
