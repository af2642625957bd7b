package org.quiver.identity;

import java.io.IOException;
import java.nio.file.Path;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.impl.Ed25519Identity;
import org.quiver.identity.impl.KeyFile;

/**
 * Plain-Java entry to identities, for use without OSGi (the identity bundle's DS component does the same
 * from configuration).
 */
public final class Identities {
    private Identities() {
    }

    /**
     * The identity stored in {@code keyFile}; a new one is created there (owner-only permissions) if the
     * file does not exist.
     *
     * @throws IOException naming the file if it exists but cannot be read or parsed: it is never replaced
     */
    public static LocalIdentity loadOrCreate(Path keyFile) throws IOException {
        return KeyFile.loadOrCreate(keyFile);
    }

    /** A fresh identity that lives only in memory (tests, ephemeral nodes). */
    public static LocalIdentity ephemeral() {
        return Ed25519Identity.generate();
    }
}
