/**
 * {@link org.quiver.metrics.PrometheusTransportMetrics}: the transport's metrics in a Micrometer registry,
 * exposed in Prometheus text format. Plain Java; the bundle's DS component serves it at {@code /metrics}.
 */
@Export
@Version("0.1.0")
package org.quiver.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
