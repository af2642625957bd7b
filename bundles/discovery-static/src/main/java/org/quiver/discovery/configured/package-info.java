/**
 * Static discovery, in plain Java ({@link org.quiver.discovery.configured.StaticDiscovery}): peers' addresses
 * as configured. Configuration is the operator's own statement, so these results are not signed records.
 */
@Export
@Version("0.1.0")
package org.quiver.discovery.configured;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
