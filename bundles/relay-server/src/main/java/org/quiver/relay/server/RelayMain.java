package org.quiver.relay.server;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * The standalone relay ({@code bin/quiver-relay} in the distribution): a {@link RelayServer} without a node
 * or an OSGi framework. It runs until the process is told to stop (SIGTERM, Ctrl-C); clients are then told the
 * relay is restarting, so that they come back as soon as it does.
 *
 * <pre>
 * quiver-relay [--bind ADDR] [--port N] [--stun-port N|-1] [--max-clients N] [--per-ip N] [--queue N] [--rate BYTES_PER_S]
 *              [--threads N] [--tls-cert CHAIN.pem --tls-key KEY.pem] [--name HOST:PORT]...
 * </pre>
 */
public final class RelayMain {
    static final String USAGE = "usage: quiver-relay [--bind ADDR (0.0.0.0)] [--port N (3340)] [--stun-port N, -1 for none (3478; N+1 answers too)]"
            + " [--max-clients N (10000)] [--per-ip N connections from one IP address (256)] [--queue FRAMES (512)] [--rate BYTES_PER_SECOND per client (4194304)]"
            + " [--threads N event loops (half the cores, at least 1)] [--tls-cert CHAIN.pem --tls-key KEY.pem (wss://)]"
            + " [--name HOST:PORT, repeatable: what clients' URLs say when it is not this host's IP and port, e.g. relay.example.com:443]";

    private RelayMain() {
    }

    /** The parsed command line. */
    record Args(InetAddress bind, int port, int stunPort, RelayCore.Limits limits, RelayServer.Tls tls, java.util.List<String> names, int threads) {
    }

    static Args parse(String... args) throws IOException {
        InetAddress bind = InetAddress.getByName("0.0.0.0");
        int port = 3340;
        int stunPort = 3478;
        RelayCore.Limits d = RelayCore.Limits.DEFAULT;
        int maxClients = d.maxClients();
        int queue = d.queueFrames();
        int perIp = d.perAddress();
        long rate = d.bytesPerSecond();
        int threads = 0;
        String cert = null;
        String key = null;
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
            }
            String v = args[++i];
            try {
                switch (flag) {
                    case "--bind" -> bind = InetAddress.getByName(v);
                    case "--port" -> port = range(flag, Integer.parseInt(v), 0, 65535);
                    case "--stun-port" -> stunPort = range(flag, Integer.parseInt(v), -1, 65535);
                    case "--max-clients" -> maxClients = range(flag, Integer.parseInt(v), 1, 1_000_000);
                    case "--queue" -> queue = range(flag, Integer.parseInt(v), 1, 1_000_000);
                    case "--per-ip" -> perIp = range(flag, Integer.parseInt(v), 1, 1_000_000);
                    case "--rate" -> rate = Long.parseLong(v);
                    case "--threads" -> threads = range(flag, Integer.parseInt(v), 1, RelayServer.MAX_THREADS);
                    case "--tls-cert" -> cert = v;
                    case "--tls-key" -> key = v;
                    case "--name" -> {
                        RelayServer.checkName(v);
                        names.add(v);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + ": '" + v + "' is not a number\n" + USAGE, e);
            }
        }
        if (rate < 1024) {
            throw new IllegalArgumentException("--rate: at least 1024 bytes per second, got " + rate + "\n" + USAGE);
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together\n" + USAGE);
        }
        RelayServer.Tls tls = cert == null ? null : new RelayServer.Tls(java.nio.file.Path.of(cert), java.nio.file.Path.of(key));
        return new Args(bind, port, stunPort, new RelayCore.Limits(maxClients, queue, rate, Math.max(2 * rate, 1 << 17), perIp), tls, names, threads);
    }

    private static int range(String flag, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(flag + ": " + v + " is not " + min + " to " + max + "\n" + USAGE);
        }
        return v;
    }

    /** Starts the relay described by {@code a} and prints where it listens. */
    static RelayServer start(Args a, PrintStream out) throws IOException {
        InetSocketAddress ws = new InetSocketAddress(a.bind(), a.port());
        RelayServer server = RelayServer.start(new RelayServer.Config(ws, a.stunPort() < 0 ? null : new InetSocketAddress(a.bind(), a.stunPort()),
                a.limits(), RelayServer.KEEPALIVE, a.tls(), a.names(), a.threads()));
        out.println("relay listening at " + server.url() + (server.stunAddress() == null ? ""
                : ", STUN at udp " + server.stunAddress().getAddress().getHostAddress() + ":" + server.stunAddress().getPort()
                + (server.stunAltAddress() == null ? "" : " and :" + server.stunAltAddress().getPort())));
        out.flush();
        return server;
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 1 && (argv[0].equals("--help") || argv[0].equals("-h"))) {
            System.out.println(USAGE);
            return;
        }
        Args a;
        RelayServer server;
        try {
            a = parse(argv);
            server = start(a, System.out);
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("quiver-relay: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.core().restarting(500, 30_000); // clients come back when it does
            try {
                Thread.sleep(100); // let the frames go out
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server.close();
            stopped.countDown();
        }, "quiver-relay-stop"));
        stopped.await();
    }
}
