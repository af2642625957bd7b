package org.quiver.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code bin/quiver -c} when a node already runs on the node folder: sends the commands to its {@link ControlServer},
 * prints what comes back where the node says (stdout, stderr) and returns the node's exit status. Runs on the
 * launcher's main thread; holds one connection, closed when it returns.
 */
final class ControlClient {
    private ControlClient() {
    }

    /**
     * Connects to {@code <home>/control.sock}; null when nothing listens there (no node, or one still starting or
     * already stopping), so that the caller can wait or start its own node.
     */
    static SocketChannel connect(Path home) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(home.resolve(ControlServer.FILE)));
            return ch;
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // not connected
                }
            }
            return null;
        }
    }

    /** Runs {@code commands} in the node behind {@code ch} (closed on return); the exit status it reports. */
    static int run(SocketChannel ch, List<String> commands, Path cwd, PrintStream out, PrintStream err) {
        try (ch) {
            byte[] request = ControlWire.encode(new ControlWire.Request(commands, cwd));
            try {
                OutputStream to = Channels.newOutputStream(ch);
                to.write(request);
                to.flush();
            } catch (IOException refusedFirst) {
                // a node that refuses (busy, another user) answers and closes without reading: its answer is still
                // there to read, and says more than the broken pipe
            }
            InputStream from = Channels.newInputStream(ch);
            while (true) {
                ControlWire.Frame f = ControlWire.readFrame(from);
                if (f == null) {
                    err.println("quiver: the running node ended the connection before its commands were done");
                    return Main.EXIT_COMMAND_FAILED;
                }
                switch (f.kind()) {
                    case ControlWire.OUT -> out.write(f.bytes(), 0, f.bytes().length);
                    case ControlWire.ERR -> err.write(f.bytes(), 0, f.bytes().length);
                    default -> {
                        out.flush();
                        err.flush();
                        return f.status();
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("quiver: " + e.getMessage());
            return Main.EXIT_USAGE;
        } catch (IOException e) {
            err.println("quiver: the running node's control connection failed: " + e.getMessage());
            return Main.EXIT_COMMAND_FAILED;
        }
    }
}
