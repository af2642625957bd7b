/**
 * The bounded pending buffer (seed plan 1.1): messages held per peer until they can be sent, with limits
 * on bytes and messages per peer, on peers and on bytes in all, drop-oldest on overflow, a time to live,
 * and a listener told of every message that leaves other than by being taken. Plain Java.
 */
@Export
@Version("0.1.0")
package org.quiver.buffer;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
