package org.quiver.spi.metrics;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The current metrics in a text exposition format, for shells and scrapers. A metrics bundle that
 * serves them over HTTP also sets the service property {@value #URL_PROPERTY}.
 */
@ProviderType
public interface MetricsExposition {
    /** Service property: where the metrics are served over HTTP, e.g. {@code http://127.0.0.1:9464/metrics}. */
    String URL_PROPERTY = "quiver.metrics.url";

    /** The HTTP content type of {@link #scrape()}, e.g. Prometheus text format 0.0.4. */
    String contentType();

    /** Every metric, now. */
    String scrape();
}
