package org.quiver.launcher;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes a node folder one node's: an exclusive lock on {@code <home>/node.lock}, taken before the framework starts
 * and held until the node has stopped (the kernel drops it when the process ends, also on a crash). A second
 * {@code bin/quiver} on the same folder would otherwise wipe the running node's bundle cache, and fight it for its
 * ports; with the lock it runs its {@code -c} commands in the running node instead ({@link ControlClient}).
 *
 * <p>Taken and released by the launcher's main thread.
 */
final class NodeLock implements AutoCloseable {
    static final String FILE = "node.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private NodeLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock of {@code home}, or null while another node (another process, or another run in this JVM) holds it. */
    static NodeLock tryTake(Path home) throws IOException {
        Files.createDirectories(home);
        FileChannel ch = FileChannel.open(home.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                return null;
            }
            return new NodeLock(ch, lock);
        } catch (OverlappingFileLockException heldInThisJvm) {
            ch.close();
            return null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the process is about to end, which drops the lock anyway
        }
    }
}
