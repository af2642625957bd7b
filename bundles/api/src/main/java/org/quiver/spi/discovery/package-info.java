/**
 * Discovery SPI: providers that publish this node's address and resolve peers' addresses by id. The endpoint holds every registered provider and asks them all at once.
 */
@Export
@Version("0.1.0")
package org.quiver.spi.discovery;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
