package org.quiver.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket over a real Unix domain socket, with a plain runner in place of the node's Gogo session (the
 * launcher's own tests and DistributionIT run it with the node).
 */
class ControlServerTest {
    @TempDir
    Path home;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private ControlServer start(ControlServer.Runner runner, long deadlineMs) throws IOException {
        ControlServer s = ControlServer.start(home, runner, deadlineMs, TimeUnit.MILLISECONDS, new PrintStream(log, true, StandardCharsets.UTF_8));
        open.add(s);
        return s;
    }

    /** What a client gets back: stdout, stderr and the status (or -1 when the connection ended without one). */
    record Answer(String out, String err, int status) {}

    private static Answer answer(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream in = Channels.newInputStream(ch);
        while (true) {
            ControlWire.Frame f = ControlWire.readFrame(in);
            if (f == null) {
                return new Answer(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), -1);
            }
            switch (f.kind()) {
                case ControlWire.OUT -> out.writeBytes(f.bytes());
                case ControlWire.ERR -> err.writeBytes(f.bytes());
                default -> {
                    return new Answer(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), f.status());
                }
            }
        }
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(home.resolve(ControlServer.FILE)));
        open.add(ch);
        return ch;
    }

    private static void send(SocketChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    @Test
    void commandsRunInTheClientsFolderAndTheirOutputAndStatusComeBack() throws Exception {
        AtomicReference<Path> folder = new AtomicReference<>();
        start((commands, cwd, in, out, err) -> {
            folder.set(cwd);
            commands.forEach(out::println);
            err.println("a warning");
            out.print("x".repeat(200_000)); // longer than one frame
            return 7;
        }, 5_000);
        Path socket = home.resolve(ControlServer.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");

        SocketChannel ch = connect();
        send(ch, ControlWire.encode(new ControlWire.Request(List.of("quiver:id", "quiver:addr"), Path.of("/srv/files"))));
        Answer a = answer(ch);
        assertThat(a.status()).isEqualTo(7);
        assertThat(a.out()).startsWith("quiver:id\nquiver:addr\n").endsWith("x".repeat(200_000)).hasSize(22 + 200_000);
        assertThat(a.err()).isEqualTo("a warning\n");
        assertThat(folder.get()).isEqualTo(Path.of("/srv/files"));
        assertThat(Channels.newInputStream(ch).read()).as("the connection ends after the answer").isEqualTo(-1);

        // the client side of bin/quiver against the same server
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ControlClient.run(ControlClient.connect(home), List.of("one"), Path.of("/"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(7);
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("one\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("a warning\n");
    }

    @Test
    void aBadRequestIsToldWhyAndTheNextClientIsServed() throws Exception {
        ControlServer server = start((commands, cwd, in, out, err) -> {
            out.println("ran " + commands);
            return 0;
        }, 5_000);
        SocketChannel bad = connect();
        send(bad, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        Answer a = answer(bad);
        assertThat(a.status()).isEqualTo(Main.EXIT_STARTUP_FAILED);
        assertThat(a.err()).contains("bad control request: not a Quiver control request");

        SocketChannel huge = connect();
        send(huge, new byte[] {'Q', 'V', 'C', '1', 0, 1, 0x7f, 0, 0, 0});
        assertThat(answer(huge).err()).contains("longer than 256 KiB");

        SocketChannel good = connect();
        send(good, ControlWire.encode(new ControlWire.Request(List.of("quiver:id"), Path.of("/"))));
        assertThat(answer(good)).isEqualTo(new Answer("ran [quiver:id]\n", "", 0));
        assertThat(server.served()).isEqualTo(1);
    }

    @Test
    void aClientThatSendsNothingIsClosedAtTheDeadline() throws Exception {
        start((commands, cwd, in, out, err) -> 0, 300);
        SocketChannel silent = connect();
        send(silent, new byte[] {'Q', 'V'}); // a beginning, then nothing
        long t0 = System.nanoTime();
        Answer a = answer(silent);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(a.status()).as("closed, no answer").isEqualTo(-1);
        assertThat(ms).isBetween(200L, 5_000L);
    }

    @Test
    void beyondEightConnectionsTheNodeSaysItIsBusyAndServesAgainOnceTheyEnd() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(ControlServer.MAX_CLIENTS);
        start((commands, cwd, in, out, err) -> {
            running.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return 9;
            }
            return 0;
        }, 5_000);
        List<SocketChannel> held = new ArrayList<>();
        for (int i = 0; i < ControlServer.MAX_CLIENTS; i++) {
            SocketChannel ch = connect();
            send(ch, ControlWire.encode(new ControlWire.Request(List.of("wait"), Path.of("/"))));
            held.add(ch);
        }
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        SocketChannel ninth = connect();
        Answer busy = answer(ninth);
        assertThat(busy.status()).isEqualTo(Main.EXIT_STARTUP_FAILED);
        assertThat(busy.err()).contains("the node is busy: 8 control connections are open");
        // bin/quiver -c sends its request first: the refusal still reaches its user, whether or not the send failed
        for (int i = 0; i < 5; i++) {
            ByteArrayOutputStream tenthErr = new ByteArrayOutputStream();
            int status = ControlClient.run(ControlClient.connect(home), List.of("quiver:id"), Path.of("/"),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), new PrintStream(tenthErr, true, StandardCharsets.UTF_8));
            assertThat(status).isEqualTo(Main.EXIT_STARTUP_FAILED);
            assertThat(tenthErr.toString(StandardCharsets.UTF_8)).contains("the node is busy");
        }
        release.countDown();
        for (SocketChannel ch : held) {
            assertThat(answer(ch).status()).isZero();
        }
        // the slots are free again (released just after each answer)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Answer again;
        do {
            SocketChannel ch = connect();
            send(ch, ControlWire.encode(new ControlWire.Request(List.of("wait"), Path.of("/"))));
            again = answer(ch);
        } while (again.status() != 0 && System.nanoTime() < deadline);
        assertThat(again.status()).isZero();
    }

    @Test
    void aClientThatGoesAwayHasItsCommandsInterrupted() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        start((commands, cwd, in, out, err) -> {
            started.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
            return 0;
        }, 5_000);
        SocketChannel ch = connect();
        send(ch, ControlWire.encode(new ControlWire.Request(List.of("quiver:sendfile big"), Path.of("/"))));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        ch.close(); // Ctrl-C on bin/quiver -c
        assertThat(interrupted.await(10, TimeUnit.SECONDS)).as("the command was interrupted").isTrue();
    }

    @Test
    void closingEndsConnectionsAndRemovesTheSocketAndAStaleSocketIsReplaced() throws Exception {
        Path socket = home.resolve(ControlServer.FILE);
        Files.writeString(socket, "left by a crashed node");
        CountDownLatch started = new CountDownLatch(1);
        ControlServer server = start((commands, cwd, in, out, err) -> {
            started.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                return 1;
            }
            return 0;
        }, 5_000);
        SocketChannel ch = connect();
        send(ch, ControlWire.encode(new ControlWire.Request(List.of("x"), Path.of("/"))));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        server.close();
        assertThat(answer(ch).status()).as("cut, no answer").isEqualTo(-1);
        assertThat(socket).doesNotExist();
        assertThat(ControlClient.connect(home)).isNull();
    }

    @Test
    void aFolderTooDeepForASocketPathIsAClearError() {
        Path deep = home.resolve("d".repeat(120));
        assertThatThrownBy(() -> ControlServer.start(deep, (c, d, i, o, e) -> 0, 1, TimeUnit.SECONDS, System.err))
                .isInstanceOf(IOException.class).hasMessageContaining("too long for a socket");
    }

    /**
     * Another user who gets at the socket (its mode opened up here on purpose) is refused by its credentials and runs
     * nothing. Needs root, to connect as user nobody (CI runs as root; skipped elsewhere).
     */
    @Test
    void anotherUserIsRefusedByItsCredentials() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/sbin/runuser"))
                && Files.isExecutable(Path.of("/usr/bin/python3")), "needs root, runuser and python3");
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        start((commands, cwd, in, out, err) -> {
            ran.incrementAndGet();
            return 0;
        }, 5_000);
        Path socket = home.resolve(ControlServer.FILE);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        byte[] request = ControlWire.encode(new ControlWire.Request(List.of("quiver:id"), Path.of("/")));
        String hex = java.util.HexFormat.of().formatHex(request);
        Process p = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c",
                "import socket,sys\n"
                        + "s=socket.socket(socket.AF_UNIX)\n"
                        + "s.connect(sys.argv[1])\n"
                        + "try:\n"
                        + "  s.sendall(bytes.fromhex(sys.argv[2]))\n"
                        + "except (BrokenPipeError, ConnectionResetError):\n" // refused before the request was taken
                        + "  pass\n"
                        + "b=b''\n"
                        + "while True:\n"
                        + "  try:\n"
                        + "    c=s.recv(4096)\n"
                        + "  except ConnectionResetError:\n" // the node closed with our request unread: after its answer
                        + "    break\n"
                        + "  if not c: break\n"
                        + "  b+=c\n"
                        + "sys.stdout.write(b.decode('utf-8','replace'))\n",
                socket.toString(), hex).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(answer).contains("control connections are taken from user root only, not from nobody");
        assertThat(ran.get()).as("nothing ran").isZero();
    }
}
