/** Building QUIC endpoints in plain Java; in OSGi the endpoint is the {@code org.quiver.endpoint} component. */
@Export
@Version("0.1.0")
package org.quiver.transport.quic;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
