package org.quiver.spi.path;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The policy that picks which path carries a peer's packets. Called by the transport whenever a peer's
 * candidates or their RTTs change; must be fast and side-effect free.
 */
@ConsumerType
public interface PathSelector {
    /**
     * Chooses among {@code candidates} (never null; may be empty).
     *
     * @param current the path in use now, if any (one of {@code candidates} or a path that just died)
     * @return one of {@code candidates}, or empty when none is usable
     */
    Optional<PathCandidate> select(List<PathCandidate> candidates, Optional<PathCandidate> current);
}
