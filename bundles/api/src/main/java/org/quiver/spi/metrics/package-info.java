/**
 * Metrics SPI: what the transport reports. Every method has a no-op default, so the transport can always call it and a provider implements only what it needs.
 */
@Export
@Version("0.3.0")
package org.quiver.spi.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
