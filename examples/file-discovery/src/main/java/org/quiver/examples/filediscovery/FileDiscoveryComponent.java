package org.quiver.examples.filediscovery;

import java.nio.file.Path;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.quiver.api.EndpointId;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.Lookup;

/**
 * The OSGi face of {@link FileDiscovery}: a {@link Discovery} service named {@value FileDiscovery#NAME} reading the
 * node's {@code peers/} folder (in {@code quiver.home}, else Karaf's data folder, else {@code ~/.quiver}). Installing
 * the bundle into a running node is all it takes; the endpoint asks it on every dial by id.
 */
@Component(name = "org.quiver.examples.filediscovery", service = Discovery.class, property = Discovery.NAME_PROPERTY + "=" + FileDiscovery.NAME)
public final class FileDiscoveryComponent implements Discovery {
    private final FileDiscovery files;

    @Activate
    public FileDiscoveryComponent(BundleContext context) {
        String home = context.getProperty("quiver.home");
        if (home == null && context.getProperty("karaf.data") != null) {
            home = Path.of(context.getProperty("karaf.data"), "quiver").toString();
        }
        Path base = home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".quiver");
        this.files = new FileDiscovery(base.resolve("peers"));
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        return files.resolve(id, listener);
    }
}
