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
 * address changed under a connection), while new connections are forwarded again. It keeps the first 64 KiB each
 * connection sent towards the target ({@link #sent}). Threads: one acceptor, two pumps per connection, all ended by
 * {@link #close}.
 */
final class TcpLine implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<boolean[]> cut = new CopyOnWriteArrayList<>();
    private volatile InetSocketAddress target;
    /** The first bytes each connection sent towards the target, in the order they were accepted. */
    private final List<java.io.ByteArrayOutputStream> sent = new CopyOnWriteArrayList<>();
    static final int RECORDED = 64 * 1024;

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
                    java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream();
                    sent.add(record);
                    pump(in, out, silent, record);
                    pump(out, in, silent, null);
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

    /** What connection {@code i} (0: the first accepted) sent towards the target so far, its first 64 KiB. */
    byte[] sent(int i) {
        java.io.ByteArrayOutputStream r = sent.get(i);
        synchronized (r) {
            return r.toByteArray();
        }
    }

    private static void pump(Socket from, Socket to, boolean[] silent, java.io.ByteArrayOutputStream record) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (record != null) {
                        synchronized (record) {
                            record.write(buf, 0, Math.max(0, Math.min(n, RECORDED - record.size())));
                        }
                    }
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
