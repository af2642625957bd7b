/**
 * Relay SPI: providers that carry datagrams to peers through a relay server when no direct path works. 0.4.0: bursts
 * of datagrams of one segment size cross a link as one ({@code RelayLink.send(..., segmentSize)}, {@code
 * RelayContext.deliver(..., segmentSize)}; by default datagram by datagram).
 */
@Export
@Version("0.4.0")
package org.quiver.spi.relay;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
