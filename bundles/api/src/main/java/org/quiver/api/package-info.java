/**
 * Quiver's public API: endpoint ids and addresses, tickets, the endpoint, connections and streams,
 * protocol handlers and watchable state. Nothing here exposes a Netty type.
 */
@Export
@Version("0.3.0")
package org.quiver.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
