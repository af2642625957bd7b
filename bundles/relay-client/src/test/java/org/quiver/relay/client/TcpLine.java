package org.quiver.relay.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP path for tests, on loopback: connections to its port are forwarded to a target, until {@link #cutOpen} makes
 * every connection open now silent (bytes read and dropped both ways, sockets left open: as when the host's
 * address changed under a connection), while new connections are forwarded again. Threads: one acceptor, two pumps
 * per connection, all ended by {@link #close}.
 */
final class TcpLine implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<boolean[]> cut = new CopyOnWriteArrayList<>();
    private volatile InetSocketAddress target;

    TcpLine() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket in = listener.accept();
                    Socket out = new Socket(target.getAddress(), target.getPort());
                    sockets.add(in);
                    sockets.add(out);
                    boolean[] silent = {false};
                    cut.add(silent);
                    pump(in, out, silent);
                    pump(out, in, silent);
                } catch (IOException closed) {
                    // the line is closing, or the target refused
                }
            }
        }, "tcp-line-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Where connections go (set before any connects). */
    void target(InetSocketAddress to) {
        target = to;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Every connection open now carries nothing more, either way; later ones are forwarded. */
    void cutOpen() {
        for (boolean[] c : cut) {
            c[0] = true;
        }
    }

    private static void pump(Socket from, Socket to, boolean[] silent) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (!silent[0]) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException ended) {
                // a side closed
            }
        }, "tcp-line-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
