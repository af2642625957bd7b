/**
 * Path selection SPI: the policy that picks which candidate path carries a peer's packets.
 */
@Export
@Version("0.2.0")
package org.quiver.spi.path;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
