package org.quiver.examples.filediscovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.Lookup;

/**
 * Peers' addresses from files the operator writes: {@code FOLDER/<id>.ticket} holds a peer's ticket (what its
 * {@code quiver:addr} prints). The operator's word, so results are {@linkplain DiscoveryItem#configured configured}
 * and never go stale. Plain Java; {@link FileDiscoveryComponent} registers it in OSGi.
 *
 * <p>A lookup reads one small file on the caller's thread and answers before {@link #resolve} returns, which the
 * SPI allows; a slow source would start its work elsewhere and return at once. Holds no thread and no state.
 */
public final class FileDiscovery implements Discovery {
    /** The provider's name in shell output. */
    public static final String NAME = "files";
    /** Largest ticket file read. */
    static final int MAX_BYTES = 4096;

    private final Path folder;

    public FileDiscovery(Path folder) {
        this.folder = Objects.requireNonNull(folder, "folder");
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        Path file = folder.resolve(id + ".ticket");
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IOException(file + " is larger than a ticket (" + MAX_BYTES + " bytes at most)");
            }
            EndpointAddr addr = EndpointAddr.fromTicket(Files.readString(file, StandardCharsets.US_ASCII).strip());
            if (!addr.id().equals(id)) {
                throw new IOException(file + " holds the ticket of " + addr.id().shortString() + ", not of " + id.shortString());
            }
            listener.found(DiscoveryItem.configured(addr, NAME, Files.getLastModifiedTime(file).toInstant()));
            listener.completed();
        } catch (NoSuchFileException none) {
            listener.completed(); // not known here: no result
        } catch (IOException | IllegalArgumentException e) {
            listener.failed(e);
        }
        return () -> { }; // nothing runs after resolve returned
    }
}
