package org.quiver.shell.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * Files are opt-in, bounded and resumable: a real receiving endpoint with the file protocol and a {@link FilePolicy},
 * a real sending endpoint, files on disk.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FileReceiverTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final LocalIdentity sender = Identities.ephemeral();
    private final StreamServing workers = new StreamServing("test", StreamServing.PER_PEER, java.time.Duration.ofSeconds(30));
    private QuicEndpoint receiver;
    private QuicEndpoint client;
    private FilePolicy policy;

    private Connection start(FilePolicy.Limits limits, Set<org.quiver.api.EndpointId> accepted) throws Exception {
        policy = new FilePolicy(dir.resolve("received"), limits, accepted);
        receiver = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                .handler(Protocols.FILE, c -> workers.serve(c, (s, p) -> Protocols.serveFile(s, c.remoteId(), policy, p)))
                .build();
        client = QuicEndpoint.builder(sender).bind(lo).build();
        return Blocking.await(client.connect(EndpointAddr.of(receiver.id(), null, java.util.List.of(receiver.localAddress())), Protocols.FILE),
                Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        workers.close();
    }

    private Path file(String name, long size, long seed) throws Exception {
        Path f = dir.resolve(name);
        byte[] chunk = new byte[(int) Math.min(size, MIB)];
        Random r = new Random(seed);
        try (var out = Files.newOutputStream(f)) {
            for (long left = size; left > 0; left -= chunk.length) {
                r.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return f;
    }

    private static String sha(Path f) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(Files.readAllBytes(f));
        return HexFormat.of().formatHex(d.digest());
    }

    /** What received/ holds, hidden partial files included. */
    private long[] received() throws Exception {
        Path r = dir.resolve("received");
        if (!Files.isDirectory(r)) {
            return new long[] {0, 0};
        }
        try (Stream<Path> files = Files.list(r)) {
            return new long[] {files.count(), Files.walk(r).filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum()};
        }
    }

    private static final FilePolicy.Limits ROOMY = new FilePolicy.Limits(1L << 30, 1L << 30, 1L << 30, 0, 4);

    @Test
    void aFileFromAPeerNotAcceptedIsRefusedWithTheReasonAndNothingIsWritten() throws Exception {
        Connection c = start(ROOMY, Set.of());
        Path f = file("secret.bin", 3 * MIB, 1);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Protocols.sendFile(c, f, n -> { }))
                .hasMessageContaining("the peer refused the file: this node does not take files from " + sender.id().shortString())
                .hasMessageContaining("quiver:accept " + sender.id());
        System.out.printf("refused in %.1f ms%n", (System.nanoTime() - t0) / 1e6);
        assertThat(received()).containsExactly(0, 0);

        // one file, once: the owner said yes to this one
        policy.acceptOnce(sender.id());
        assertThat(Protocols.sendFile(c, f, n -> { })).contains("stored as secret.bin");
        assertThatThrownBy(() -> Protocols.sendFile(c, f, n -> { })).hasMessageContaining("does not take files");
        // and for good
        policy.accept(sender.id());
        assertThat(Protocols.sendFile(c, f, n -> { })).contains("stored as secret.bin.1");
        assertThat(sha(dir.resolve("received/secret.bin.1"))).isEqualTo(sha(f));
    }

    @Test
    void sizeQuotasAndTheFreeSpaceFloorEachRefuseWithTheirReason() throws Exception {
        long free = Files.getFileStore(dir).getUsableSpace();
        Connection c = start(new FilePolicy.Limits(4 * MIB, 6 * MIB, 8 * MIB, 0, 4), Set.of(sender.id()));
        assertThatThrownBy(() -> Protocols.sendFile(c, file("big.bin", 5 * MIB, 2), n -> { }))
                .hasMessageContaining("the file is " + 5 * MIB + " bytes; this node takes at most " + 4 * MIB);
        assertThat(Protocols.sendFile(c, file("a.bin", 4 * MIB, 3), n -> { })).contains("stored as a.bin");
        assertThatThrownBy(() -> Protocols.sendFile(c, file("b.bin", 3 * MIB, 4), n -> { }))
                .hasMessageContaining("over this peer's quota: " + 4 * MIB + " of " + 6 * MIB);
        assertThat(received()[0]).isEqualTo(1);
        receiver.close();
        client.close();

        // the node's total: another peer's files count too (what the folder held at start)
        LocalIdentity other = Identities.ephemeral();
        Connection c2 = start(new FilePolicy.Limits(4 * MIB, 6 * MIB, 6 * MIB, 0, 4), Set.of(sender.id(), other.id()));
        assertThatThrownBy(() -> Protocols.sendFile(c2, file("c.bin", 3 * MIB, 5), n -> { }))
                .hasMessageContaining("over the node's quota: " + 4 * MIB + " of " + 6 * MIB);
        receiver.close();
        client.close();

        // the floor: what would be left after the write is checked before a byte is taken
        Connection c3 = start(new FilePolicy.Limits(1L << 30, 1L << 30, 1L << 30, free - 2 * MIB, 4), Set.of(sender.id()));
        assertThatThrownBy(() -> Protocols.sendFile(c3, file("d.bin", 3 * MIB, 6), n -> { }))
                .hasMessageContaining("not enough free space");
        assertThat(received()[0]).as("nothing more written").isEqualTo(1);
    }

    /** Runs a command; true when it exited 0. */
    private static boolean run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /**
     * The floor is checked during the write too: the received folder is a 48 MiB tmpfs the test mounts; once the
     * transfer has begun, something else fills the file system, and the receiver stops at its next check.
     */
    @Test
    void theFreeSpaceFloorIsCheckedDuringTheWrite() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("received"));
        assertThat(run("mount", "-t", "tmpfs", "-o", "size=48m", "quiver-test", small.toString())).as("mount a 48 MiB tmpfs").isTrue();
        try {
            Connection c = start(new FilePolicy.Limits(1L << 30, 1L << 30, 1L << 30, 8 * MIB, 4), Set.of(sender.id()));
            Path f = file("fill.bin", 30 * MIB, 10);
            Thread filler = new Thread(() -> {
                try {
                    while (received()[1] < 2 * MIB) {
                        Thread.sleep(1);
                    }
                    Files.write(small.resolve(".other-data"), new byte[(int) (20 * MIB)]); // another program's data
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            filler.start();
            assertThatThrownBy(() -> Protocols.sendFile(c, f, n -> {
                try {
                    Thread.sleep(0, 200_000); // a slower sender, so the filler comes first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            })).hasMessageContaining("the peer did not store the file: not enough free space");
            filler.join();
            assertThat(Files.exists(small.resolve("fill.bin"))).as("nothing stored under the final name").isFalse();
        } finally {
            if (receiver != null) {
                receiver.close();
                receiver = null;
            }
            assertThat(run("umount", small.toString())).as("unmount the test's tmpfs").isTrue();
        }
    }

    @Test
    void oneTransferAtATimeRefusesTheSecondWhileTheFirstRuns() throws Exception {
        Connection c = start(new FilePolicy.Limits(1L << 30, 1L << 30, 1L << 30, 0, 1), Set.of(sender.id()));
        // a transfer that says what it will send and then waits
        BiStream held = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        DataOutputStream out = new DataOutputStream(held.send().outputStream());
        byte[] name = "slow.bin".getBytes(StandardCharsets.UTF_8);
        out.writeShort(name.length);
        out.write(name);
        out.writeLong(MIB);
        out.write(new byte[32]);
        out.flush();
        DataInputStream in = new DataInputStream(held.recv().inputStream());
        assertThat(in.readUnsignedByte()).as("let in").isZero();
        assertThat(in.readLong()).isZero();
        assertThatThrownBy(() -> Protocols.sendFile(c, file("e.bin", MIB, 7), n -> { })).hasMessageContaining("busy: 1 transfers at once");
        held.send().reset(1);
    }

    @Test
    void anInterruptedTransferResumesWhereItStoppedAndIsCheckedWhole() throws Exception {
        Connection c = start(ROOMY, Set.of(sender.id()));
        long size = 64 * MIB;
        Path f = file("movie.bin", size, 8);
        // the first attempt dies when the receiver has about half: the sender's connection goes
        AtomicLong progress = new AtomicLong();
        Thread killer = new Thread(() -> {
            try {
                while (received()[1] < size / 2) {
                    Thread.sleep(1);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            c.close();
        });
        killer.start();
        assertThatThrownBy(() -> Protocols.sendFile(c, f, progress::set)).isInstanceOf(Exception.class);
        killer.join();
        long kept = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && (kept = received()[1]) == 0) {
            Thread.sleep(20);
        }
        Thread.sleep(200); // the receiver notices the end and closes what it wrote
        kept = received()[1];
        assertThat(kept).as("the receiver kept what came").isGreaterThan(size / 4);
        assertThat(Files.list(dir.resolve("received")).map(p -> p.getFileName().toString()))
                .as("hidden until complete").allMatch(n -> n.startsWith(".partial-"));

        // run again: only the rest is sent
        Connection again = Blocking.await(client.connect(EndpointAddr.of(receiver.id(), null, java.util.List.of(receiver.localAddress())),
                Protocols.FILE), Duration.ofSeconds(10));
        AtomicLong first = new AtomicLong(-1);
        java.io.ByteArrayOutputStream bar = new java.io.ByteArrayOutputStream();
        Progress progressBar = new Progress(new java.io.PrintStream(bar, true, StandardCharsets.UTF_8), size);
        String answer = Protocols.sendFile(again, f, n -> {
            first.compareAndSet(-1, n);
            progressBar.accept(n);
        });
        progressBar.done();
        assertThat(bar.toString(StandardCharsets.UTF_8)).as("the bar shows the part kept").contains("[====").contains("(resumed)").contains("100%");
        long sentAgain = size - first.get();
        System.out.printf("resumed at %d of %d bytes: the second run sent %.0f%% of the file%n", first.get(), size, 100.0 * sentAgain / size);
        assertThat(answer).contains("stored as movie.bin").contains("resumed: it had " + first.get() + " bytes already");
        assertThat(sentAgain).as("bytes sent the second time < 60% of the file").isLessThan(size * 6 / 10);
        assertThat(sha(dir.resolve("received/movie.bin"))).isEqualTo(sha(f));
        assertThat(received()[0]).as("the partial file is gone").isEqualTo(1);
    }

    @Test
    void aCorruptedPartialIsCaughtByTheWholeFilesSha256AndDropped() throws Exception {
        Connection c = start(ROOMY, Set.of(sender.id()));
        Path f = file("data.bin", 8 * MIB, 9);
        AtomicLong progress = new AtomicLong();
        Thread killer = new Thread(() -> {
            while (progress.get() < 4 * MIB) {
                Thread.onSpinWait();
            }
            c.close();
        });
        killer.start();
        assertThatThrownBy(() -> Protocols.sendFile(c, f, progress::set)).isInstanceOf(Exception.class);
        killer.join();
        Thread.sleep(300);
        Path partial;
        try (Stream<Path> files = Files.list(dir.resolve("received"))) {
            partial = files.filter(p -> p.getFileName().toString().startsWith(".partial-")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(partial);
        bytes[bytes.length / 2] ^= 1; // a bit flipped on the receiver's disk
        Files.write(partial, bytes);
        Connection again = Blocking.await(client.connect(EndpointAddr.of(receiver.id(), null, java.util.List.of(receiver.localAddress())),
                Protocols.FILE), Duration.ofSeconds(10));
        assertThatThrownBy(() -> Protocols.sendFile(again, f, n -> { })).hasMessageContaining("SHA-256 mismatch");
        assertThat(received()[0]).as("the bad partial is dropped, nothing stored").isZero();
        assertThat(Protocols.sendFile(again, f, n -> { })).contains("stored as data.bin").doesNotContain("resumed");
        assertThat(sha(dir.resolve("received/data.bin"))).isEqualTo(sha(f));
    }
}
