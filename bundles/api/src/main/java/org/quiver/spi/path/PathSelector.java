package org.quiver.spi.path;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The policy that picks which path carries a peer's packets. The transport calls it on its event loop
 * whenever a peer's candidates, their states or their RTTs change, so it must be fast, must not block and
 * must have no side effects. The endpoint uses the service with the highest {@code service.ranking}; the
 * path bundle registers the default with a low ranking, so any other selector replaces it at runtime, on
 * live connections.
 *
 * <p>Indexes rather than objects go in and out, so that selecting allocates nothing.
 */
@ConsumerType
public interface PathSelector {
    /**
     * Chooses among {@code candidates}.
     *
     * @param candidates every candidate path of one peer (never null; may be empty; not to be modified)
     * @param current    the index in {@code candidates} of the path in use now (its {@code valid} flag says
     *                   whether it still works), or -1 when the peer has none
     * @return the index of the chosen candidate, or -1 when none is usable. The transport treats an index
     *         outside the list, or an exception, as "keep the current path" and counts it.
     */
    int select(List<PathCandidate> candidates, int current);
}
