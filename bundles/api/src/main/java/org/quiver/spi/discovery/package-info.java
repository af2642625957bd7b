/**
 * Discovery SPI: providers that publish this node's address and resolve peers' addresses by id. The endpoint
 * holds every registered provider and asks them all at once. What providers carry between nodes is an
 * {@link org.quiver.spi.discovery.EndpointRecord}: signed by the endpoint it describes, timestamped.
 */
@Export
@Version("0.3.0")
package org.quiver.spi.discovery;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
