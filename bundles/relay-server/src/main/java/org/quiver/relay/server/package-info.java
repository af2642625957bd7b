/**
 * The relay server's core, in plain Java ({@link org.quiver.relay.server.RelayCore}): authenticated
 * sessions, datagrams forwarded by {@code EndpointId}, per-client bounded queues and rate limits. The
 * network adapter (WebSocket over netty) feeds it frames and drains what it queues. 0.3.0: a relay's event loop threads
 * are configurable ({@code RelayServer.Config.threads}; by default half the cores, at least one, where 0.2.0 ran two).
 */
@Export
@Version("0.3.0")
package org.quiver.relay.server;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
