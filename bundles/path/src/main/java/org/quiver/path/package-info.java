/**
 * Quiver's default path policy, as plain Java: {@link org.quiver.path.DefaultPathSelector} (RTT with
 * hysteresis, direct before relay, an IPv6 advantage). The bundle registers it as a low-ranked
 * {@link org.quiver.spi.path.PathSelector} service that any other selector may outrank; the transport never
 * imports this package (it meets the policy through the SPI only, so updating this bundle never restarts the
 * endpoint). Plain-Java embedders pass it to the endpoint's builder.
 */
@Export
@Version("0.2.0")
package org.quiver.path;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
