package org.quiver.shell.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.quiver.api.EndpointId;

/**
 * Who may store files on this node and how much: files are opt-in. A file is taken only from an id that is
 * accepted (configured, or {@link #accept} at run time) or holds a one-time acceptance ({@link #acceptOnce});
 * within a maximum file size, a quota per peer and a total quota (bytes stored since the node started, plus what
 * the folder held then), a free-space floor checked before and during the write, and a maximum number of
 * transfers at once. Every refusal has a reason the sender is told.
 *
 * <p>Thread-safe: the file handler's worker threads admit and account; the shell changes acceptances. Owned by
 * the file receiver component; it holds no thread.
 */
final class FilePolicy {
    /**
     * The limits.
     *
     * @param maxFileBytes  largest file taken
     * @param perPeerBytes  bytes one peer may store (since the node started)
     * @param totalBytes    bytes the received folder may hold
     * @param minFreeBytes  free space the file system keeps, checked before and during each write
     * @param maxTransfers  transfers at once, from all peers
     */
    record Limits(long maxFileBytes, long perPeerBytes, long totalBytes, long minFreeBytes, int maxTransfers) {
        /** 4 GiB files, 16 GiB per peer, 64 GiB in all, 1 GiB kept free, 4 at once. */
        static final Limits DEFAULT = new Limits(4L << 30, 16L << 30, 64L << 30, 1L << 30, 4);

        Limits {
            if (maxFileBytes < 0 || perPeerBytes < 0 || totalBytes < 0 || minFreeBytes < 0 || maxTransfers < 1) {
                throw new IllegalArgumentException("file limits are not negative and allow at least one transfer");
            }
        }
    }

    private final Set<EndpointId> accepted = ConcurrentHashMap.newKeySet();
    private final Map<EndpointId, Integer> once = new ConcurrentHashMap<>();
    private final Map<EndpointId, AtomicLong> perPeer = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();
    private final Semaphore transfers;
    private final Limits limits;
    private final Path folder;

    FilePolicy(Path folder, Limits limits, Set<EndpointId> accepted) {
        this.folder = folder;
        this.limits = limits;
        this.transfers = new Semaphore(limits.maxTransfers());
        this.accepted.addAll(accepted);
        this.total.set(sizeOf(folder));
    }

    private static long sizeOf(Path folder) {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException gone) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    Path folder() {
        return folder;
    }

    Limits limits() {
        return limits;
    }

    /** Takes files from {@code id} from now on (until the node restarts; configuration makes it lasting). */
    void accept(EndpointId id) {
        accepted.add(id);
    }

    /** Takes one file from {@code id}: the next transfer it starts uses the acceptance up. */
    void acceptOnce(EndpointId id) {
        once.merge(id, 1, Integer::sum);
    }

    /** Stops taking files from {@code id}; one-time acceptances go too. */
    void refuse(EndpointId id) {
        accepted.remove(id);
        once.remove(id);
    }

    Set<EndpointId> accepted() {
        return Set.copyOf(accepted);
    }

    Map<EndpointId, Integer> acceptedOnce() {
        return Map.copyOf(once);
    }

    /** A transfer let in: its slot is given back by {@link #close}. */
    final class Admission implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                transfers.release();
            }
        }
    }

    /**
     * Lets a transfer of {@code size} bytes from {@code from} in, of which {@code have} are here already (a
     * resumed transfer), or throws with the reason the sender is told.
     */
    Admission admit(EndpointId from, long size, long have) throws Refused {
        if (!accepted.contains(from) && once.getOrDefault(from, 0) <= 0) {
            throw new Refused("this node does not take files from " + from.shortString()
                    + " (its owner can run quiver:accept " + from + ")");
        }
        if (size > limits.maxFileBytes()) {
            throw new Refused("the file is " + size + " bytes; this node takes at most " + limits.maxFileBytes());
        }
        long used = perPeer.computeIfAbsent(from, k -> new AtomicLong()).get();
        if (used + size > limits.perPeerBytes()) {
            throw new Refused("over this peer's quota: " + used + " of " + limits.perPeerBytes() + " bytes stored already");
        }
        if (total.get() + size > limits.totalBytes()) {
            throw new Refused("over the node's quota: " + total.get() + " of " + limits.totalBytes() + " bytes stored already");
        }
        checkSpace(size - have);
        if (!transfers.tryAcquire()) {
            throw new Refused("busy: " + limits.maxTransfers() + " transfers at once; try again later");
        }
        return new Admission();
    }

    /** Uses up one one-time acceptance of {@code from}, if it was let in by one (called once its file is stored). */
    void usedOnce(EndpointId from) {
        if (!accepted.contains(from)) {
            once.computeIfPresent(from, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Throws when writing {@code more} bytes would leave less free space than the floor. */
    void checkSpace(long more) throws Refused {
        long free;
        try {
            Files.createDirectories(folder);
            free = Files.getFileStore(folder).getUsableSpace();
        } catch (IOException e) {
            throw new Refused("cannot check free space: " + e.getMessage());
        }
        if (free - Math.max(0, more) < limits.minFreeBytes()) {
            throw new Refused("not enough free space: " + free + " bytes free, " + Math.max(0, more) + " to write and "
                    + limits.minFreeBytes() + " to keep free");
        }
    }

    /** A file of {@code bytes} from {@code from} was stored. */
    void stored(EndpointId from, long bytes) {
        perPeer.computeIfAbsent(from, k -> new AtomicLong()).addAndGet(bytes);
        total.addAndGet(bytes);
    }

    /** A transfer refused, with the reason its sender is told. */
    static final class Refused extends Protocols.Told {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null);
        }
    }
}
