package org.quiver.benchmarks;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.api.PathKind;
import org.quiver.api.RecvStream;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * The relay path against the direct path in one JVM on loopback: one stream of bulk data between two
 * endpoints, directly and through a relay server (same endpoints' code, same JVM); then the relay server's
 * forwarding rate with one pair of clients and with many pairs at once.
 */
public final class RelayThroughput {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    /** A relay without a rate limit, its queue towards a client the default's (-Dqueue=N another). */
    private static final RelayCore.Limits UNLIMITED = new RelayCore.Limits(100_000, Integer.getInteger("queue", RelayCore.Limits.DEFAULT.queueFrames()),
            1L << 40, 1L << 40);

    public static void main(String[] args) throws Exception {
        int mib = Integer.parseInt(args.length > 0 ? args[0] : "128");
        int runs = Integer.parseInt(args.length > 1 ? args[1] : "3");
        int pairs = Integer.parseInt(args.length > 2 ? args[2] : "100");
        long bytes = mib * 1024L * 1024L;
        // twelve warm-up runs of each path: with two (before 2026-12-03) both paths were still being compiled while
        // measured (the direct path's runs rising from ~200 to ~350 MB/s within one script run) and relay / direct varied
        // from 0.54 to 0.79 between runs of one version; with six (2026-12-03) the relay path still was: in a fresh JVM
        // its 128 MiB runs rose until about the fifteenth (67, 128, 176, ... 306, 288, 242, 330, then 274-342 MB/s), the
        // direct path's until about the tenth, and the ratio was 0.69-0.70 after six, 0.71-0.77 after fourteen
        int warmUps = Integer.getInteger("warmUps", 12);
        int forwardWarmUps = Integer.getInteger("forwardWarmUps", 2);
        // the relay with its default queue towards a client (512 datagrams), or relays with the queues -Dqueues=A,B,...
        // says, in turns: through a relay of two event loops QUIC's bursts overflowed 512 at this speed (~1.5 % of
        // datagrams dropped, CUBIC backing off each time) and 1,024 took 8-16 % more through (2026-12-03); through one
        // loop, this machine's default now, none is dropped
        int[] queues = Arrays.stream(System.getProperty("queues", String.valueOf(UNLIMITED.queueFrames())).split(",")).mapToInt(Integer::parseInt).toArray();
        System.out.printf("single stream, %d MiB per run, medians of %d runs of each path, in turns, after %d warm-up runs of each,"
                + " loopback, %d cores; relays without a rate limit, queues of %s datagrams per client%n", mib, runs, warmUps,
                Runtime.getRuntime().availableProcessors(), Arrays.toString(queues));
        List<RelayServer> relays = new ArrayList<>();
        try {
            for (int q : queues) {
                relays.add(RelayServer.start(LO, new RelayCore.Limits(UNLIMITED.maxClients(), q, UNLIMITED.bytesPerSecond(), UNLIMITED.burstBytes())));
            }
            int paths = queues.length + 1; // 0: direct, 1..: the relays
            // every path warmed up before any is measured, then measured in turns (each first in its turn): the relay
            // path's code is compiled by the JIT in its own warm-up (measured first after the direct path's, as before
            // 2026-12-02, it was still being compiled), and a drift of the machine hits all of them
            for (int i = 0; i < warmUps; i++) {
                for (int p = 0; p < paths; p++) {
                    stream(bytes, p == 0 ? null : URI.create(relays.get(p - 1).url()));
                }
            }
            double[][] mbps = new double[paths][runs];
            List<java.util.Map<String, Long>> cpu = new ArrayList<>();
            for (int p = 0; p < paths; p++) {
                cpu.add(new java.util.TreeMap<>());
            }
            for (int i = 0; i < runs; i++) {
                for (int j = 0; j < paths; j++) {
                    int p = (i + j) % paths;
                    mbps[p][i] = stream(bytes, p == 0 ? null : URI.create(relays.get(p - 1).url()));
                    java.util.Map<String, Long> into = cpu.get(p);
                    lastRunCpu.forEach((k, v) -> into.merge(k, v, Long::sum));
                }
            }
            if (Boolean.getBoolean("verbose")) { // CPU seconds per GB moved, by thread, on each path
                double gb = runs * bytes / 1e9;
                StringBuilder sb = new StringBuilder("CPU s per GB by thread");
                for (int p = 0; p < paths; p++) {
                    sb.append(p == 0 ? ", direct:" : "; relay, queue " + queues[p - 1] + ":");
                    cpu.get(p).forEach((k, v) -> { if (v > 1e7) sb.append(String.format(" %s %.2f", k, v / 1e9 / gb)); });
                }
                System.out.println(sb);
            }
            double direct = median(mbps[0]);
            System.out.printf("direct runs %s MB/s%n", Arrays.toString(round(mbps[0])));
            System.out.printf("Quiver direct path                      %8.1f MB/s%n", direct);
            for (int p = 1; p < paths; p++) {
                RelayServer relay = relays.get(p - 1);
                double relayed = median(mbps[p]);
                System.out.printf("relay runs, queue %d: %s MB/s%n", queues[p - 1], Arrays.toString(round(mbps[p])));
                System.out.printf("Quiver relay path, queue %5d          %8.1f MB/s   ratio relay / direct %.2f%n", queues[p - 1], relayed, relayed / direct);
                System.out.println("  relay server: " + relay.core().stats() + ", " + relay.core().segmentedFrames()
                        + " bursts of datagrams taken as one segmented frame");
            }
        } finally {
            for (RelayServer r : relays) {
                r.close();
            }
        }
        if (pairs <= 0) { // only the stream figures (for a profile of the relay path)
            return;
        }
        // each pair as one QUIC connection that has learned how much the relay holds for it: at most a receiver's
        // queue under way (-Dwindow=N another window, 0 flat out with drops as before 2026-12-02); then the harder
        // case, the same datagrams under way in all, shared: each of many pairs batches less
        int window = Integer.getInteger("window", UNLIMITED.queueFrames());
        System.out.printf("relay forwarding, %,d-byte datagrams, 3 s per run, medians of %d runs of each, alternating, after %d warm-up runs of each%n",
                Integer.getInteger("size", 1200), runs, forwardWarmUps);
        double perPair = compare(pairs, window, window, runs, forwardWarmUps, window <= 0 ? "every pair flat out, the relay dropping what its queues cannot hold"
                : "each pair at most " + window + " datagrams under way (a receiver's queue at the relay)");
        if (window > 0) {
            int share = Math.max(1, window / pairs);
            double shared = compare(pairs, window, share, runs, forwardWarmUps, window + " datagrams under way in all: 1 pair " + window + ", " + pairs + " pairs " + share + " each");
            System.out.printf("ratio many / one           %8.2f (%d per pair), %.2f (%d shared)%n", perPair, window, shared, window);
        } else {
            System.out.printf("ratio many / one           %8.2f%n", perPair);
        }
    }

    /** One pair against {@code pairs}, in turns after warm-ups; prints both medians, returns many / one. */
    private static double compare(int pairs, int oneWindow, int manyWindow, int runs, int warmUps, String label) throws Exception {
        for (int i = 0; i < warmUps; i++) {
            forwarding(1, oneWindow);
            forwarding(pairs, manyWindow);
        }
        double[] ones = new double[runs];
        double[] manys = new double[runs];
        for (int i = 0; i < runs; i++) {
            ones[i] = forwarding(1, oneWindow);
            manys[i] = forwarding(pairs, manyWindow);
        }
        double one = median(ones);
        double many = median(manys);
        System.out.printf("%s:%n  1 pair runs %s, %d pairs runs %s datagrams/s%n", label, Arrays.toString(round(ones)), pairs, Arrays.toString(round(manys)));
        System.out.printf("  1 pair of clients          %10.0f datagrams/s%n", one);
        System.out.printf("  %d pairs of clients       %10.0f datagrams/s   many / one %.2f%n", pairs, many, many / one);
        return many / one;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static double[] round(double[] values) {
        return Arrays.stream(values).map(x -> Math.round(x * 10) / 10.0).toArray();
    }


    /**
     * CPU time of the last {@link #stream} run by thread group (nanoseconds), taken before its endpoints and clients
     * close: their threads end with them, and a snapshot after the run would miss them.
     */
    private static java.util.Map<String, Long> lastRunCpu = java.util.Map.of();

    /** One uni stream of {@code bytes} from one endpoint to another: directly, or through {@code relay} only. */
    private static double stream(long bytes, URI relay) throws Exception {
        java.util.Map<String, Long> before = cpuByThreadGroup();
        RelayClient.Options options = RelayClient.Options.DEFAULT;
        CompletableFuture<Long> received = new CompletableFuture<>();
        try (DefaultRelayProvider pa = relay == null ? null : new DefaultRelayProvider(List.of(relay), options);
             DefaultRelayProvider pb = relay == null ? null : new DefaultRelayProvider(List.of(relay), options);
             QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(pb).handler("bench", conn -> {
                 RecvStream s = Blocking.await(conn.acceptUni(), Duration.ofSeconds(30));
                 try (InputStream in = s.inputStream()) {
                     byte[] buf = new byte[64 * 1024];
                     long n = 0;
                     for (int r; (r = in.read(buf)) > 0; ) {
                         n += r;
                     }
                     received.complete(n);
                 }
             }).build();
             QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).relay(pa).build()) {
            EndpointAddr to = EndpointAddr.of(server.id(), relay, relay == null ? List.of(server.localAddress()) : List.of());
            if (relay != null) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while ((client.addr().get().relayUrl().isEmpty() || server.addr().get().relayUrl().isEmpty()) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
            Connection c = Blocking.await(client.connect(to, "bench"), Duration.ofSeconds(10));
            if ((relay != null) != (c.path().get().kind() == PathKind.RELAY)) {
                throw new IllegalStateException("wrong path: " + c.path().get());
            }
            byte[] chunk = new byte[64 * 1024];
            long t0 = System.nanoTime();
            try (OutputStream out = Blocking.await(c.openUni(), Duration.ofSeconds(10)).outputStream()) {
                for (long sent = 0; sent < bytes; sent += chunk.length) {
                    out.write(chunk, 0, (int) Math.min(chunk.length, bytes - sent));
                }
            }
            long got = received.get(300, TimeUnit.SECONDS);
            double mbps = bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
            if (got != bytes) {
                throw new IllegalStateException("received " + got + " of " + bytes);
            }
            java.util.Map<String, Long> after = cpuByThreadGroup();
            java.util.Map<String, Long> run = new java.util.TreeMap<>();
            after.forEach((k, v) -> run.put(k, v - before.getOrDefault(k, 0L)));
            lastRunCpu = run;
            return mbps;
        }
    }

    /**
     * CPU time so far of this JVM's live threads, nanoseconds, by thread name without its trailing number, and of the
     * whole process ("(process)": also the threads that ended meanwhile, the JIT and the GC).
     */
    private static java.util.Map<String, Long> cpuByThreadGroup() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        out.put("(process)", ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime());
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null) {
                long c = mx.getThreadCpuTime(t.getThreadId());
                if (c > 0) {
                    out.merge(t.getThreadName().replaceAll("(-[0-9]+)+$", ""), c, Long::sum);
                }
            }
        }
        return out;
    }

    /**
     * Datagrams per second the relay delivers with {@code pairs} sender/receiver pairs. With a {@code window} each pair
     * keeps at most that many datagrams under way (sent, not yet delivered), as a QUIC connection keeps at most its
     * congestion window: nothing is lost, so the figure is what the relay and its clients carry, not how much work an
     * overload wastes. With no window (0) every pair sends flat out and the relay drops what its receivers' queues
     * cannot hold (how the benchmark ran before 2026-12-02: its ratio varied from 0.19 to 0.91 between runs).
     */
    private static double forwarding(int pairs, int window) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new io.netty.util.concurrent.DefaultThreadFactory("clients"), NioIoHandler.newFactory());
        RelayClient.Options options = RelayClient.Options.DEFAULT;
        LongAdder delivered = new LongAdder();
        List<RelayClient> clients = new ArrayList<>();
        java.util.concurrent.atomic.AtomicIntegerArray underWay = new java.util.concurrent.atomic.AtomicIntegerArray(pairs);
        java.util.concurrent.atomic.AtomicReference<Thread> waiting = new java.util.concurrent.atomic.AtomicReference<>();
        try (RelayServer relay = RelayServer.start(LO, UNLIMITED)) {
            URI url = URI.create(relay.url());
            List<RelayClient> senders = new ArrayList<>();
            List<LocalIdentity> receivers = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                LocalIdentity s = Identities.ephemeral();
                LocalIdentity r = Identities.ephemeral();
                int pair = i;
                RelayClient sc = new RelayClient(url, s.id(), s::sign, (via, src, d) -> { }, group.next(), options).start();
                RelayClient rc = new RelayClient(url, r.id(), r::sign, (via, src, d) -> {
                    delivered.increment();
                    if (window > 0 && underWay.decrementAndGet(pair) == window / 2) { // room for half a window: the sender goes on
                        java.util.concurrent.locks.LockSupport.unpark(waiting.get());
                    }
                }, group.next(), options).start();
                clients.add(sc);
                clients.add(rc);
                senders.add(sc);
                receivers.add(r);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (clients.stream().anyMatch(c -> c.state().get() != RelayClient.State.CONNECTED) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            byte[] d = new byte[Integer.getInteger("size", 1200)];
            AtomicBoolean stop = new AtomicBoolean();
            Thread sender = new Thread(() -> {
                while (!stop.get()) {
                    boolean any = false;
                    for (int i = 0; i < senders.size(); i++) {
                        if (window <= 0) {
                            any |= senders.get(i).send(receivers.get(i).id(), d);
                            continue;
                        }
                        while (underWay.get(i) < window) {
                            underWay.incrementAndGet(i);
                            if (!senders.get(i).send(receivers.get(i).id(), d)) {
                                underWay.decrementAndGet(i);
                                break;
                            }
                            any = true;
                        }
                    }
                    if (!any) {
                        if (window <= 0) {
                            Thread.onSpinWait();
                        } else { // every window full, or every client's batch: a delivery unparks it, or the loops drain
                            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                        }
                    }
                }
            }, "sender");
            waiting.set(sender);
            sender.start();
            Thread.sleep(1000); // warm-up
            long before = delivered.sum();
            java.util.Map<String, Long> cpu0 = cpuByThreadGroup();
            long t0 = System.nanoTime();
            Thread.sleep(3000);
            long after = delivered.sum();
            long t1 = System.nanoTime();
            java.util.Map<String, Long> cpu1 = cpuByThreadGroup();
            StringBuilder where = new StringBuilder();
            cpu1.forEach((k, v) -> {
                double cores = (v - cpu0.getOrDefault(k, 0L)) / 1e9 / ((t1 - t0) / 1e9);
                if (cores >= 0.01) {
                    where.append(String.format(" %s %.2f", k, cores));
                }
            });
            long[] sums = new long[5];
            for (RelayClient c : clients) {
                long[] k = c.counts();
                for (int j = 0; j < Math.min(k.length, sums.length); j++) {
                    sums[j] += k[j];
                }
            }
            if (Boolean.getBoolean("verbose")) { // where the CPU went, and that nothing was lost
                System.out.printf("  %d pairs: CPU in cores, by thread:%s; clients' counts (sent, received, dropped, connects, failures) %s; relay %s%n",
                        pairs, where, Arrays.toString(sums), relay.core().stats());
            }
            stop.set(true);
            sender.join();
            return (after - before) / ((t1 - t0) / 1e9);
        } finally {
            for (RelayClient c : clients) {
                c.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
