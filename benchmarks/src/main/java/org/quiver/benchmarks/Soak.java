package org.quiver.benchmarks;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * Long-running checks, in one JVM on loopback.
 *
 * <p>{@code soak MINUTES}: two endpoints and a relay server. Round after round: 20 dial/stream/reset/close
 * cycles; a 1 MiB transfer dialed through the relay (it moves to the direct path) with its byte count checked;
 * every 30 s the relay server is restarted on the same port; every 45 s one endpoint's relay provider is replaced
 * by a new one (what a bundle update of the relay client does to the endpoint). Heap after a full collection,
 * live threads and open file descriptors are taken after a warm-up round and at the end, with the endpoints still
 * running, and printed side by side with every failure.
 *
 * <p>{@code idle N}: N connections between two endpoints, kept open and idle; heap (after collection) and resident
 * memory per connection, against the same two endpoints with none.
 */
public final class Soak {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final RelayCore.Limits LIMITS = new RelayCore.Limits(10_000, 512, 1L << 40, 1L << 40);

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("soak")) {
            soak(Double.parseDouble(args[1]));
        } else if (args.length == 2 && args[0].equals("idle")) {
            idle(Integer.parseInt(args[1]));
        } else {
            System.err.println("usage: Soak soak MINUTES | Soak idle CONNECTIONS");
            System.exit(2);
        }
    }

    private record Sample(long heap, int threads, long fds, long rss) {
        static Sample take() throws Exception {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            long fds;
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                fds = s.count();
            }
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return new Sample(heap, threads, fds, rss);
        }
    }

    /** The server side: reads each stream to its end and answers the byte count. */
    private static void countBytes(Connection conn) throws Exception {
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(conn.acceptBi(), Duration.ofMinutes(10));
            } catch (QuiverException closed) {
                return;
            }
            try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                out.write(Long.toString(in.transferTo(OutputStream.nullOutputStream())).getBytes());
            } catch (java.io.IOException reset) {
                // a churn cycle resets its stream
            }
        }
    }

    private static void soak(double minutes) throws Exception {
        RelayServer relay = RelayServer.start(LO, LIMITS);
        int relayPort = relay.address().getPort();
        URI url = URI.create(relay.url());
        RelayClient.Options options = RelayClient.Options.DEFAULT;
        List<String> failures = new ArrayList<>();
        long cycles = 0;
        long transfers = 0;
        long relayRestarts = 0;
        long providerSwaps = 0;
        DefaultRelayProvider pb = new DefaultRelayProvider(List.of(url), options);
        DefaultRelayProvider pa = new DefaultRelayProvider(List.of(url), options);
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(pb).handler("soak/1", Soak::countBytes).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(pa).build()) {
            EndpointAddr direct = EndpointAddr.of(b.id(), null, List.of(b.localAddress()));
            EndpointAddr viaRelay = EndpointAddr.of(b.id(), url, List.of(b.localAddress()));
            byte[] mib = new byte[1 << 20];
            Sample start = null;
            java.util.Map<String, Long> startFds = null;
            long t0 = System.nanoTime();
            long end = t0 + (long) (minutes * 60e9);
            long nextRelayRestart = t0 + TimeUnit.SECONDS.toNanos(30);
            long nextSwap = t0 + TimeUnit.SECONDS.toNanos(45);
            while (System.nanoTime() < end || start == null) {
                for (int i = 0; i < 20; i++) {
                    try {
                        Connection c = Blocking.await(a.connect(direct, "soak/1"), Duration.ofSeconds(10));
                        Blocking.await(c.openBi(), Duration.ofSeconds(10)).send().reset(0);
                        c.close();
                        cycles++;
                    } catch (Exception e) {
                        failures.add("churn: " + e);
                    }
                }
                try {
                    Connection c = Blocking.await(a.connect(viaRelay, "soak/1"), Duration.ofSeconds(10));
                    BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                    try (OutputStream out = s.send().outputStream()) {
                        out.write(mib);
                    }
                    try (InputStream in = s.recv().inputStream()) {
                        String got = new String(in.readAllBytes());
                        if (!got.equals(Integer.toString(mib.length))) {
                            failures.add("transfer: the receiver counted " + got);
                        }
                    }
                    c.close();
                    transfers++;
                } catch (Exception e) {
                    failures.add("transfer: " + e);
                }
                long now = System.nanoTime();
                if (now > nextRelayRestart) {
                    relay.close();
                    relay = RelayServer.start(new InetSocketAddress(LO.getAddress(), relayPort), LIMITS);
                    relayRestarts++;
                    nextRelayRestart = now + TimeUnit.SECONDS.toNanos(30);
                }
                if (now > nextSwap) {
                    DefaultRelayProvider fresh = new DefaultRelayProvider(List.of(url), options);
                    a.relay(fresh);
                    pa.close();
                    pa = fresh;
                    providerSwaps++;
                    nextSwap = now + TimeUnit.SECONDS.toNanos(45);
                }
                if (start == null) {
                    start = Sample.take(); // after one warm-up round: classes loaded, pools filled
                    startFds = Boolean.getBoolean("soak.histogram") ? descriptors() : null;
                }
            }
            // the same state as at the start: both endpoints up, their connections closed
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((!a.connections().isEmpty() || !b.connections().isEmpty()) && System.nanoTime() < settle) {
                Thread.sleep(50);
            }
            Sample busy = Sample.take();
            // what is left once the load has stopped for longer than every timer (idle pool threads end after 30 s)
            Thread.sleep(TimeUnit.SECONDS.toMillis(Long.getLong("soak.quietSeconds", 35)));
            Sample last = Sample.take();
            System.out.printf("connections still open: dialer %d, acceptor %d%n", a.connections().size(), b.connections().size());
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("soak %.1f min: %d churn cycles, %d relay-dialed 1 MiB transfers, %d relay restarts, %d relay provider swaps%n",
                    seconds / 60, cycles, transfers, relayRestarts, providerSwaps);
            System.out.printf("%-26s %14s %14s %14s %10s%n", "", "start", "load ended", "35 s later", "later/start");
            row("heap after GC (bytes)", start.heap, busy.heap, last.heap);
            row("live threads", start.threads, busy.threads, last.threads);
            row("open file descriptors", start.fds, busy.fds, last.fds);
            row("resident memory (bytes)", start.rss, busy.rss, last.rss);
            if (Boolean.getBoolean("soak.histogram")) { // what the heap holds at the end, largest first
                Process p = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "GC.class_histogram")
                        .redirectErrorStream(true).start();
                new String(p.getInputStream().readAllBytes()).lines().limit(25).forEach(System.out::println);
                Thread.getAllStackTraces().keySet().stream().collect(java.util.stream.Collectors.groupingBy(
                        t -> t.getName().replaceAll("[0-9]+", "#"), java.util.TreeMap::new, java.util.stream.Collectors.counting()))
                        .forEach((name, count) -> System.out.println("  thread " + name + " x" + count));
                System.out.println("descriptors at the start: " + startFds);
                System.out.println("descriptors at the end:   " + descriptors());
                sockets().forEach(line -> System.out.println("  socket " + line));
            }
            System.out.println("failures " + failures.size());
            failures.stream().limit(20).forEach(f -> System.out.println("  " + f));
        } finally {
            pa.close();
            pb.close();
            relay.close();
        }
    }

    /** What the open file descriptors are, by kind (numbers masked), with how many of each. */
    private static java.util.Map<String, Long> descriptors() throws java.io.IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().replaceAll("[0-9]+", "#");
                } catch (java.io.IOException gone) {
                    return "(closed)";
                }
            }).collect(java.util.stream.Collectors.groupingBy(t -> t, java.util.TreeMap::new, java.util.stream.Collectors.counting()));
        }
    }

    /** Every open socket descriptor with its protocol, local and remote address and state from /proc/net. */
    private static List<String> sockets() throws java.io.IOException {
        java.util.Map<String, String> byInode = new java.util.HashMap<>();
        for (String proto : List.of("tcp", "tcp6", "udp", "udp6")) {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/net/" + proto));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                byInode.put(f[9], proto + " " + f[1] + " -> " + f[2] + " st " + f[3]);
            }
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        String inode = target.substring(8, target.length() - 1);
                        out.add(byInode.getOrDefault(inode, "unix or other " + inode));
                    }
                } catch (java.io.IOException gone) {
                    // closed meanwhile
                }
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    private static void row(String name, long start, long busy, long end) {
        System.out.printf("%-26s %14d %14d %14d %10.2f%n", name, start, busy, end, (double) end / start);
    }

    private static void idle(int n) throws Exception {
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).idleTimeout(Duration.ofMinutes(30))
                .maxConnectionsPerPeer(n + 1).handler("idle/1", c -> { }).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).idleTimeout(Duration.ofMinutes(30)).build()) {
            EndpointAddr to = EndpointAddr.of(b.id(), null, List.of(b.localAddress()));
            // one connection first: classes loaded, the peer entries made
            Blocking.await(a.connect(to, "idle/1"), Duration.ofSeconds(10)).close();
            Thread.sleep(500);
            Sample none = Sample.take();
            List<Connection> open = new ArrayList<>(n);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                open.add(Blocking.await(a.connect(to, "idle/1"), Duration.ofSeconds(30)));
            }
            double dialSeconds = (System.nanoTime() - t0) / 1e9;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (b.connections().size() < n && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(2000); // idle: handshakes' leftovers acknowledged and gone
            Sample full = Sample.take();
            int accepted = b.connections().size();
            System.out.printf("%d idle connections (dialed in %.1f s; %d accepted), both sides in this JVM%n", n, dialSeconds, accepted);
            System.out.printf("heap after GC: %d bytes with none, %d with them: %.1f KB per connection side (%.1f KB per connection, both ends)%n",
                    none.heap, full.heap, (full.heap - none.heap) / 1024.0 / (2.0 * n), (full.heap - none.heap) / 1024.0 / n);
            System.out.printf("resident memory: %.1f KB per connection side (Java heap, native quiche state and buffers)%n",
                    (full.rss - none.rss) / 1024.0 / (2.0 * n));
            System.out.printf("ratio heap per side / 50 KB goal: %.2f%n", (full.heap - none.heap) / 1024.0 / (2.0 * n) / 50);
            for (Connection c : open) {
                c.close();
            }
        }
    }
}
