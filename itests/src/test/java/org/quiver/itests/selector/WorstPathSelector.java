package org.quiver.itests.selector;

import java.util.Hashtable;
import java.util.List;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.quiver.spi.path.PathCandidate;
import org.quiver.spi.path.PathSelector;

/**
 * A path policy no one would want, which makes its effect unmistakable: the measured path with the highest
 * RTT. Packaged by {@code PathSelectorIT} into a bundle of its own (with this class as its activator) that
 * registers it with {@code service.ranking} 100, above the default's -100.
 */
public final class WorstPathSelector implements PathSelector, BundleActivator {
    @Override
    public int select(List<PathCandidate> candidates, int current) {
        int worst = -1;
        for (int i = 0; i < candidates.size(); i++) {
            PathCandidate c = candidates.get(i);
            if (c.measured() && (worst < 0 || c.rttNanos() > candidates.get(worst).rttNanos())) {
                worst = i;
            }
        }
        return worst >= 0 ? worst : current;
    }

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("service.ranking", 100);
        props.put("quiver.selector", "worst");
        context.registerService(PathSelector.class, new WorstPathSelector(), props);
    }

    @Override
    public void stop(BundleContext context) {
        // the framework unregisters the service
    }
}
