package org.quiver.shell.impl;

import java.nio.file.Path;

/**
 * Where a command's relative file names point: the working folder of the Gogo session that runs it (after a
 * {@code cd}, or the folder of a {@code bin/quiver -c} that runs its commands in a node already running), else this
 * process's. Gogo is an optional import of this bundle: without it (or outside a session) names resolve against the
 * process's folder. Stateless; any thread.
 */
final class SessionFolder {
    private SessionFolder() {
    }

    static Path resolve(String name) {
        Path folder = null;
        try {
            folder = Gogo.currentDir();
        } catch (NoClassDefFoundError noGogo) {
            // the command runs without Gogo's API (another shell): the process's folder
        }
        return (folder != null ? folder.resolve(name) : Path.of(name)).toAbsolutePath().normalize();
    }

    /** Touches Gogo's classes only when called, so that {@link SessionFolder} loads without them. */
    private static final class Gogo {
        static Path currentDir() {
            org.apache.felix.service.command.CommandSession s = org.apache.felix.service.command.CommandSession.Utils.current();
            return s != null ? s.currentDir() : null;
        }
    }
}
