/** Building identities in plain Java: from a key file, or ephemeral. */
@Export
@Version("0.1.0")
package org.quiver.identity;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
