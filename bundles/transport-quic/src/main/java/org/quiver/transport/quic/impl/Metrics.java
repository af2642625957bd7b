package org.quiver.transport.quic.impl;

import org.quiver.spi.metrics.TransportMetrics;

/**
 * The endpoint's current {@link TransportMetrics}: {@link TransportMetrics#NOOP} until a metrics
 * implementation is set, and again after it is removed. Swapping never blocks whoever is reporting.
 */
final class Metrics {
    private volatile TransportMetrics current = TransportMetrics.NOOP;

    TransportMetrics get() {
        return current;
    }

    void set(TransportMetrics m) {
        current = m == null ? TransportMetrics.NOOP : m;
    }
}
