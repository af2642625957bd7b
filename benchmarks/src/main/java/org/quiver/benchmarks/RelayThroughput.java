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
    private static final RelayCore.Limits UNLIMITED = new RelayCore.Limits(100_000, Integer.getInteger("queue", 512), 1L << 40, 1L << 40);

    public static void main(String[] args) throws Exception {
        int mib = Integer.parseInt(args.length > 0 ? args[0] : "128");
        int runs = Integer.parseInt(args.length > 1 ? args[1] : "3");
        int pairs = Integer.parseInt(args.length > 2 ? args[2] : "100");
        long bytes = mib * 1024L * 1024L;
        int warmUps = Integer.getInteger("warmUps", 2);
        System.out.printf("single stream, %d MiB per run, medians of %d runs of each path, alternating, after %d warm-up runs of each,"
                + " loopback, %d cores%n", mib, runs, warmUps, Runtime.getRuntime().availableProcessors());
        try (RelayServer relay = RelayServer.start(LO, UNLIMITED)) {
            URI url = URI.create(relay.url());
            // both paths warmed up before either is measured, then measured in turns: the relay path's code is compiled
            // by the JIT in its own warm-up (measured first after the direct path's, as before 2026-12-02, it was still
            // being compiled: the C2 thread at ~4 s of CPU in 6 s of relayed runs), and a drift of the machine hits both
            for (int i = 0; i < warmUps; i++) {
                stream(bytes, null);
                stream(bytes, url);
            }
            double[] d = new double[runs];
            double[] r = new double[runs];
            for (int i = 0; i < runs; i++) {
                d[i] = stream(bytes, null);
                r[i] = stream(bytes, url);
            }
            double direct = median(d);
            double relayed = median(r);
            System.out.printf("direct runs %s MB/s, relay runs %s MB/s%n", Arrays.toString(round(d)), Arrays.toString(round(r)));
            System.out.printf("Quiver direct path         %8.1f MB/s%n", direct);
            System.out.printf("Quiver relay path          %8.1f MB/s%n", relayed);
            System.out.printf("ratio relay / direct       %8.2f%n", relayed / direct);
            System.out.println("relay server: " + relay.core().stats());
        }
        if (pairs <= 0) { // only the stream figures (for a profile of the relay path)
            return;
        }
        System.out.printf("relay forwarding, 1,200-byte datagrams, 3 s per run%n");
        double one = forwarding(1);
        double many = forwarding(pairs);
        System.out.printf("1 pair of clients          %10.0f datagrams/s%n", one);
        System.out.printf("%d pairs of clients       %10.0f datagrams/s%n", pairs, many);
        System.out.printf("ratio many / one           %8.2f%n", many / one);
    }


    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static double[] round(double[] values) {
        return Arrays.stream(values).map(x -> Math.round(x * 10) / 10.0).toArray();
    }


    /** One uni stream of {@code bytes} from one endpoint to another: directly, or through {@code relay} only. */
    private static double stream(long bytes, URI relay) throws Exception {
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
            if (got != bytes) {
                throw new IllegalStateException("received " + got + " of " + bytes);
            }
            return bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** Datagrams per second the relay delivers with {@code pairs} sender/receiver pairs sending flat out. */
    private static double forwarding(int pairs) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        RelayClient.Options options = RelayClient.Options.DEFAULT;
        LongAdder delivered = new LongAdder();
        List<RelayClient> clients = new ArrayList<>();
        try (RelayServer relay = RelayServer.start(LO, UNLIMITED)) {
            URI url = URI.create(relay.url());
            List<RelayClient> senders = new ArrayList<>();
            List<LocalIdentity> receivers = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                LocalIdentity s = Identities.ephemeral();
                LocalIdentity r = Identities.ephemeral();
                RelayClient sc = new RelayClient(url, s.id(), s::sign, (via, src, d) -> { }, group.next(), options).start();
                RelayClient rc = new RelayClient(url, r.id(), r::sign, (via, src, d) -> delivered.increment(), group.next(), options).start();
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
                        any |= senders.get(i).send(receivers.get(i).id(), d);
                    }
                    if (!any) {
                        Thread.onSpinWait();
                    }
                }
            });
            sender.start();
            Thread.sleep(1000); // warm-up
            long before = delivered.sum();
            long t0 = System.nanoTime();
            Thread.sleep(3000);
            long after = delivered.sum();
            long t1 = System.nanoTime();
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
