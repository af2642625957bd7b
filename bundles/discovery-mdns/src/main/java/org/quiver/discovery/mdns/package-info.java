/**
 * mDNS discovery, in plain Java ({@link org.quiver.discovery.mdns.MdnsDiscovery}): signed endpoint records in
 * DNS-SD TXT records of {@code _quiver._udp.local.} instances named by endpoint id, on the local link
 * (JmDNS, embedded). The OSGi component ({@code org.quiver.discovery.mdns}) is a thin adapter.
 */
@Export
@Version("0.1.0")
package org.quiver.discovery.mdns;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
