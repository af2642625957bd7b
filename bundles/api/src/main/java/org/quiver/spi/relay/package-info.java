/**
 * Relay SPI: providers that carry datagrams to peers through a relay server when no direct path works.
 */
@Export
@Version("0.3.0")
package org.quiver.spi.relay;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
