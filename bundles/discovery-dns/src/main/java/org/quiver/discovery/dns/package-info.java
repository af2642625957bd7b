/**
 * DNS discovery, in plain Java ({@link org.quiver.discovery.dns.DnsDiscovery}): signed endpoint records in
 * TXT records under {@code _quiver.<endpoint-id>.<zone>}, resolved with dnsjava and published by RFC 2136
 * dynamic update with TSIG. The OSGi component ({@code org.quiver.discovery.dns}) is a thin adapter.
 */
@Export
@Version("0.1.0")
package org.quiver.discovery.dns;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
