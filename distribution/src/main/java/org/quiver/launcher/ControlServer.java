package org.quiver.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running node's control socket, {@code <home>/control.sock}: {@code bin/quiver -c} on the same node folder runs its
 * commands here, in this node, instead of starting a second node (see {@link NodeLock}). Each connection brings one
 * {@link ControlWire.Request}; its commands run in a Gogo session of their own whose working folder is the client's,
 * their output goes back as frames, then the exit status; then the connection ends.
 *
 * <p>Who may connect: only the node's own user. The socket file is made readable and writable by its owner only, and
 * every connection's peer credentials ({@code SO_PEERCRED}) must name the socket file's owner (this process's user,
 * compared by uid). What a client can
 * make it hold: {@link #MAX_CLIENTS} connections at once (more are told the node is busy), a request of at most
 * {@link ControlWire#MAX_REQUEST_BYTES} that must arrive within the request deadline (else the connection is closed).
 * A client that goes away while its commands run has them interrupted.
 *
 * <p>Threads: one accepting ({@code quiver-control}), two per connection (one runs the commands, one watches for the
 * client's end), one timer for the request deadlines. {@link #close} stops them all, ends every connection and removes
 * the socket file; the launcher closes it before it stops the framework.
 */
final class ControlServer implements AutoCloseable {
    static final String FILE = "control.sock";
    static final int MAX_CLIENTS = 8;
    /** Linux's limit on a socket path ({@code sun_path}), less its terminating zero. */
    static final int MAX_PATH_BYTES = 107;

    /** Runs a request's commands; returns the exit status. Called on a connection's thread. */
    interface Runner {
        int run(List<String> commands, Path cwd, InputStream in, PrintStream out, PrintStream err);
    }

    private final Path path;
    private final ServerSocketChannel server;
    /** Who may connect: the owner of the socket file, the user this node runs as. */
    private final java.nio.file.attribute.UserPrincipal owner;
    private final Runner runner;
    private final long requestDeadlineNanos;
    private final PrintStream log;
    private final Semaphore slots = new Semaphore(MAX_CLIENTS);
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final Thread acceptor;
    private final AtomicInteger served = new AtomicInteger();
    private volatile boolean closed;

    private ControlServer(Path path, ServerSocketChannel server, Runner runner, long requestDeadlineNanos, PrintStream log)
            throws IOException {
        this.path = path;
        this.owner = Files.getOwner(path); // this process's user: it made the socket file
        this.server = server;
        this.runner = runner;
        this.requestDeadlineNanos = requestDeadlineNanos;
        this.log = log;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "quiver-control-timer"));
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        this.acceptor = daemon(this::accept, "quiver-control");
    }

    /**
     * Listens on {@code <home>/control.sock}, replacing a socket file a crashed node left there (the caller holds the
     * node's lock, so no live node owns it). Throws {@link IOException} with a reason when it cannot listen.
     */
    static ControlServer start(Path home, Runner runner, long requestDeadline, TimeUnit unit, PrintStream log) throws IOException {
        Path path = home.resolve(FILE);
        if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new IOException("the node folder's path is too long for a socket (" + path + ": at most " + MAX_PATH_BYTES + " bytes)");
        }
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        ControlServer s;
        try {
            s = new ControlServer(path, server, runner, unit.toNanos(requestDeadline), log);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        s.acceptor.start();
        return s;
    }

    Path path() {
        return path;
    }

    /** Connections whose commands ran to the end (counted before their exit status is sent; for tests and accounting). */
    int served() {
        return served.get();
    }

    private void accept() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.println("quiver: the control socket stopped: " + e.getMessage());
                }
                return;
            }
            if (!slots.tryAcquire()) {
                refuse(ch, "the node is busy: " + MAX_CLIENTS + " control connections are open");
                continue;
            }
            clients.add(ch);
            try {
                daemon(() -> serve(ch), "quiver-control-client").start();
            } catch (RuntimeException | Error e) {
                clients.remove(ch);
                slots.release();
                refuse(ch, "the node cannot serve this connection: " + e);
            }
        }
    }

    private static void refuse(SocketChannel ch, String why) {
        try (ch) {
            OutputStream out = Channels.newOutputStream(ch);
            byte[] b = ("quiver: " + why + "\n").getBytes(StandardCharsets.UTF_8);
            ControlWire.writeFrame(out, ControlWire.ERR, b, 0, b.length);
            ControlWire.writeExit(out, Main.EXIT_STARTUP_FAILED);
        } catch (IOException ignored) {
            // the client went already
        }
    }

    /** One connection, on its own thread: check the peer, read the request, run it, answer, end. */
    private void serve(SocketChannel ch) {
        try (ch) {
            java.nio.file.attribute.UserPrincipal peer = peerUser(ch);
            if (peer == null || !peer.equals(owner)) { // principals of the same kind compare by uid
                refuse(ch, "control connections are taken from user " + owner.getName() + " only, not from "
                        + (peer == null ? "an unknown user" : peer.getName()));
                return;
            }
            InputStream in = Channels.newInputStream(ch);
            // not Channels.newOutputStream: its writes take the channel's blocking lock, which the watcher's read holds
            OutputStream out = new Writes(ch);
            ScheduledFuture<?> deadline = timer.schedule(() -> closeQuietly(ch), requestDeadlineNanos, TimeUnit.NANOSECONDS);
            ControlWire.Request request;
            try {
                request = ControlWire.readRequest(in);
            } catch (IOException e) {
                if (ch.isOpen()) {
                    refuse(ch, "bad control request: " + e.getMessage());
                }
                return;
            } finally {
                deadline.cancel(false);
            }
            Thread runs = Thread.currentThread();
            Thread watcher = daemon(() -> {
                try {
                    // the client sends nothing after its request: the end of its stream is its end (the channel's own
                    // read, which leaves writes free to go on; the request's stream above is done with by now)
                    java.nio.ByteBuffer ignored = java.nio.ByteBuffer.allocate(256);
                    while (ch.read(ignored.clear()) >= 0) {
                        // bytes after the request mean nothing; only the end counts
                    }
                    runs.interrupt();
                } catch (IOException ended) {
                    // the connection was closed: by us, after the answer, or by close()
                }
            }, "quiver-control-watch");
            watcher.start();
            int status;
            try (PrintStream o = new PrintStream(new Frames(out, ControlWire.OUT), true, StandardCharsets.UTF_8);
                    PrintStream e = new PrintStream(new Frames(out, ControlWire.ERR), true, StandardCharsets.UTF_8)) {
                status = runner.run(request.commands(), request.cwd(), InputStream.nullInputStream(), o, e);
                o.flush();
                e.flush();
            }
            served.incrementAndGet(); // before the status goes: a client that has it sees the connection counted
            synchronized (out) {
                ControlWire.writeExit(out, status);
            }
        } catch (IOException e) {
            // the client went away mid-answer: its commands ran (or were interrupted); nothing to tell anyone
        } finally {
            Thread.interrupted(); // the watcher's interrupt must not reach whatever this thread does next
            clients.remove(ch);
            slots.release();
        }
    }

    private static java.nio.file.attribute.UserPrincipal peerUser(SocketChannel ch) {
        try {
            return ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (SocketChannel ch : clients) {
            closeQuietly(ch);
        }
        timer.shutdownNow();
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale socket file is replaced by the next node
        }
    }

    /** Bytes written straight to the channel (its write lock only). */
    private static final class Writes extends OutputStream {
        private final SocketChannel ch;

        Writes(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    /** Output written as frames of one kind; both kinds share the connection, so a frame is written whole under its lock. */
    private static final class Frames extends OutputStream {
        private final OutputStream out;
        private final byte kind;

        Frames(OutputStream out, byte kind) {
            this.out = out;
            this.kind = kind;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, ControlWire.MAX_FRAME_BYTES);
                synchronized (out) {
                    ControlWire.writeFrame(out, kind, b, off, n);
                }
                off += n;
                len -= n;
            }
        }
    }
}
