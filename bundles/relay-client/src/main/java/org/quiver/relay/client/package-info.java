/**
 * The default relay provider, in plain Java: {@link org.quiver.relay.client.RelayClient} keeps one
 * authenticated connection to one relay server (reconnecting with backoff, measuring latency), and
 * {@link org.quiver.relay.client.DefaultRelayProvider} gives each attached endpoint its relays, a home relay
 * chosen by latency, and on-demand connections to the relays its peers name. The OSGi component (one
 * {@code org.quiver.relay.client} factory configuration per relay URL) is a thin adapter over it.
 */
@Export
@Version("0.1.1")
package org.quiver.relay.client;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
