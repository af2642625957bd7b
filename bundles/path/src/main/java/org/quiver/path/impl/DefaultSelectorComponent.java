package org.quiver.path.impl;

import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.quiver.path.DefaultPathSelector;
import org.quiver.spi.path.PathCandidate;
import org.quiver.spi.path.PathSelector;

/**
 * Registers the default path selector with a low ranking: a selector bundle with any higher
 * {@code service.ranking} replaces it on live connections, and uninstalling that bundle brings this back.
 */
@Component(name = "org.quiver.path.selector", service = PathSelector.class, property = {"service.ranking:Integer=-100", "quiver.selector=default"})
public final class DefaultSelectorComponent implements PathSelector {
    private final DefaultPathSelector selector = new DefaultPathSelector();

    @Override
    public int select(List<PathCandidate> candidates, int current) {
        return selector.select(candidates, current);
    }

    @Override
    public String toString() {
        return selector.toString();
    }
}
