package org.quiver.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.quic.BoringSSLAsyncPrivateKeyMethod;
import io.netty.handler.codec.quic.BoringSSLContextOption;
import io.netty.handler.codec.quic.BoringSSLKeylessManagerFactory;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.api.RecvStream;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.impl.EndpointBuilder;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * One stream of bulk data over loopback: Quiver (two endpoints, blocking OutputStream/InputStream) against
 * raw netty QUIC (two plain codecs, same transport parameters, same keyless Ed25519 TLS), plain TCP and TLS 1.3 over TCP,
 * medians of N runs after one warm-up run, in this one JVM. Then connection set-up latency.
 */
public final class Throughput {
    private static final int CHUNK = 64 * 1024;

    public static void main(String[] args) throws Exception {
        int mib = Integer.parseInt(args.length > 0 ? args[0] : "256");
        int runs = Integer.parseInt(args.length > 1 ? args[1] : "3");
        long bytes = mib * 1024L * 1024L;
        if (args.length > 2 && args[2].equals("endpoint")) { // only the Quiver endpoint's figure (benchmarks/transfer.sh)
            System.out.printf("Quiver endpoint            %8.1f MB/s%n", median(runs, () -> quiver(bytes, true)));
            return;
        }
        if (args.length > 2 && args[2].equals("setup")) { // only set-up: the 1,000 fresh connections, default key exchange
            // after 20,000 unmeasured ones: on 2 cores the JIT goes on compiling the handshake's paths (netty's, the
            // transport's, Bouncy Castle's) for ~17,000 connections, its compiler thread then the third runnable thread
            // beside the two endpoints' and each wait for a core a tail (2026-12-03, rounds of 1,000 in one JVM: p99 /
            // median 2.3-3.6 after 4,000, 1.35-1.63 from the 17,000th; a fixed 2.5 ms job timed on 3 threads here has
            // 2.9-3.0, on 2 threads 1.1-1.3); with 3,000, as before, two of four runs were over 3. A running node is past
            // that within its first minute of connections
            int warmUp = Integer.getInteger("warmUp", 20_000);
            List<Long> micros = setupLatency(1_000, warmUp, EndpointBuilder.KeyExchange.PREFER_HYBRID);
            System.out.printf("(after %,d unmeasured connections)%n", warmUp);
            signing();
            double median = print("X25519MLKEM768", micros);
            System.out.printf("ratio set-up p99 / median %5.2f%n", micros.get(989) / 1000.0 / median);
            return;
        }
        if (args.length > 2 && args[2].equals("answers")) { // only the first answers on reconnects
            firstAnswers();
            return;
        }
        System.out.printf("single stream, %d MiB per run, median of %d runs after 1 warm-up, loopback, %d cores%n", mib, runs,
                Runtime.getRuntime().availableProcessors());
        double tcp = median(runs, () -> tcp(bytes));
        double tls = median(runs, () -> tlsOverTcp(bytes));
        double raw = median(runs, () -> rawQuic(bytes, false));
        double rawGso = median(runs, () -> rawQuic(bytes, true));
        double plain = median(runs, () -> quiver(bytes, false));
        double quiver = median(runs, () -> quiver(bytes, true));
        System.out.printf("TCP (plain sockets)        %8.1f MB/s%n", tcp);
        System.out.printf("TLS 1.3 over TCP (JDK)     %8.1f MB/s%n", tls);
        System.out.printf("raw netty QUIC             %8.1f MB/s%n", raw);
        System.out.printf("raw netty QUIC, GSO x%-2d    %8.1f MB/s%n", RAW_SEGMENTS, rawGso);
        System.out.printf("Quiver, offloads off       %8.1f MB/s%n", plain);
        System.out.printf("Quiver endpoint (default)  %8.1f MB/s%n", quiver);
        System.out.printf("ratio Quiver / raw QUIC    %8.2f%n", quiver / raw);
        System.out.printf("ratio Quiver / raw GSO     %8.2f%n", quiver / rawGso);
        System.out.printf("ratio Quiver / offloads off %7.2f%n", quiver / plain);
        System.out.printf("ratio Quiver / TCP         %8.2f%n", quiver / tcp);
        System.out.printf("ratio Quiver / TLS-over-TCP %7.2f%n", quiver / tls);
        if (args.length > 2 && args[2].equals("bulk")) { // only the bulk figures
            return;
        }
        // the two key exchanges alternate, so that drift of the machine affects both alike
        List<Long> classical = new ArrayList<>();
        List<Long> hybrid = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            classical.addAll(setupLatency(100, EndpointBuilder.KeyExchange.CLASSICAL));
            hybrid.addAll(setupLatency(100, EndpointBuilder.KeyExchange.PREFER_HYBRID));
        }
        double c = print("X25519", classical);
        double h = print("X25519MLKEM768", hybrid);
        System.out.printf("ratio set-up X25519MLKEM768 / X25519 (medians) %5.2f%n", h / c);
        // reconnects to one peer: every one a full handshake, or resumed (the default), alternating
        List<Long> full = new ArrayList<>();
        List<Long> resumed = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            full.addAll(reconnects(100, false));
            resumed.addAll(reconnects(100, true));
        }
        double f = print("X25519MLKEM768, reconnect, full handshake", full);
        double r = print("X25519MLKEM768, reconnect, resumed session", resumed);
        System.out.printf("ratio reconnect resumed / full (medians) %5.2f%n", r / f);
        firstAnswers();
    }

    /**
     * The Ed25519 signature a full handshake makes on each side: the identity bundle's signer against the JDK's own,
     * each 3,000 times after 3,000 unmeasured, in this JVM.
     */
    private static void signing() throws Exception {
        org.quiver.api.LocalIdentity identity = Identities.ephemeral();
        java.security.PrivateKey jdkKey = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
        byte[] message = new byte[130]; // what TLS 1.3 signs: 64 spaces, a context string, a transcript hash
        double[] micros = new double[2];
        for (int round = 0; round < 2; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 3_000; i++) {
                message[0] = (byte) i;
                identity.sign(message);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < 3_000; i++) {
                message[0] = (byte) i;
                java.security.Signature jdk = java.security.Signature.getInstance("Ed25519");
                jdk.initSign(jdkKey);
                jdk.update(message);
                jdk.sign();
            }
            long t2 = System.nanoTime();
            micros[0] = (t1 - t0) / 3_000 / 1000.0;
            micros[1] = (t2 - t1) / 3_000 / 1000.0;
        }
        System.out.printf("Ed25519 signature: identity bundle %.1f µs, JDK %.1f µs, ratio %.2f%n", micros[0], micros[1], micros[0] / micros[1]);
    }

    private static void firstAnswers() throws Exception {
        // time to the first answer on a reconnect (dial, one request, its answer): full handshake, resumed, resumed
        // with the request in 0-RTT; on loopback and on a path with a 20 ms round trip, the three alternating
        for (long oneWay : new long[] {0, 10}) {
            List<Long> fullAnswer = new ArrayList<>();
            List<Long> resumedAnswer = new ArrayList<>();
            List<Long> earlyAnswer = new ArrayList<>();
            int n = oneWay == 0 ? 100 : 30;
            for (int round = 0; round < 2; round++) {
                fullAnswer.addAll(firstAnswers(n, oneWay, Reconnect.FULL));
                resumedAnswer.addAll(firstAnswers(n, oneWay, Reconnect.RESUMED));
                earlyAnswer.addAll(firstAnswers(n, oneWay, Reconnect.ZERO_RTT));
            }
            String path = oneWay == 0 ? "loopback" : "RTT " + 2 * oneWay + " ms";
            double fa = printAnswer(path + ", full handshake", fullAnswer);
            double ra = printAnswer(path + ", resumed, request after the handshake", resumedAnswer);
            double ea = printAnswer(path + ", resumed, request in 0-RTT", earlyAnswer);
            System.out.printf("ratio first answer 0-RTT / resumed (medians, %s) %5.2f; 0-RTT / full %5.2f%n", path, ea / ra, ea / fa);
        }
    }

    private static double printAnswer(String what, List<Long> micros) {
        return latency("first answer on a reconnect (" + what + "), " + micros.size(), micros);
    }

    private enum Reconnect { FULL, RESUMED, ZERO_RTT }

    /** A replay-safe echo of one 8-byte request per stream (or not replay-safe, as told). */
    private static ProtocolHandler echo(boolean replaySafe) {
        return new ProtocolHandler() {
            @Override
            public void accept(Connection c) throws Exception {
                BiStream s = Blocking.await(c.acceptBi(), Duration.ofSeconds(30));
                long v = new java.io.DataInputStream(s.recv().inputStream()).readLong();
                try (OutputStream out = s.send().outputStream()) {
                    new java.io.DataOutputStream(out).writeLong(v);
                }
            }

            @Override
            public boolean replaySafe() {
                return replaySafe;
            }
        };
    }

    /**
     * Times (µs) from dialing to the first answer of {@code n} reconnects to one peer, after 10 unmeasured, over a
     * path with {@code oneWay} ms each way (0: straight on loopback).
     */
    private static List<Long> firstAnswers(int n, long oneWay, Reconnect kind) throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        boolean safe = kind == Reconnect.ZERO_RTT;
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback).handler("echo", echo(safe)).build();
                QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback).handler("echo", echo(safe))
                        .sessionResumption(kind == Reconnect.FULL ? 0 : 1_000, Duration.ofHours(1)).build();
                DelayPath path = oneWay == 0 ? null : new DelayPath(client.localAddress(), server.localAddress(), oneWay)) {
            EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(path == null ? server.localAddress() : path.address()));
            List<Long> micros = new ArrayList<>();
            for (int i = 0; i < n + 10; i++) {
                long t0 = System.nanoTime();
                Connection c = Blocking.await(client.connect(target, "echo"), Duration.ofSeconds(10));
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                try (OutputStream out = s.send().outputStream()) {
                    new java.io.DataOutputStream(out).writeLong(t0);
                }
                if (new java.io.DataInputStream(s.recv().inputStream()).readLong() != t0) {
                    throw new IllegalStateException("a wrong answer");
                }
                long t = (System.nanoTime() - t0) / 1000;
                if (i >= 10) {
                    if (c.earlyData() != (kind == Reconnect.ZERO_RTT) || c.resumed() != (kind != Reconnect.FULL)) {
                        throw new IllegalStateException(kind + " expected, got resumed=" + c.resumed() + " 0-RTT=" + c.earlyData());
                    }
                    micros.add(t);
                }
                c.close();
                Thread.sleep(2 * oneWay + 5); // the next session ticket comes after the handshake
            }
            return micros;
        }
    }

    private static double print(String group, List<Long> micros) {
        return latency("connection set-up (dial + Ed25519 mutual TLS, " + group + "), " + micros.size() + " fresh connections", micros);
    }

    /** Prints the median and p99 of {@code micros} after {@code label}; returns the median in ms. */
    private static double latency(String label, List<Long> micros) {
        Collections.sort(micros);
        int n = micros.size();
        double median = micros.get(n / 2) / 1000.0;
        System.out.printf("%s: median %.2f ms, p99 %.2f ms%n", label, median, micros.get((int) Math.ceil(n * 0.99) - 1) / 1000.0);
        return median;
    }

    interface Run {
        double megabytesPerSecond() throws Exception;
    }

    private static double median(int runs, Run run) throws Exception {
        run.megabytesPerSecond(); // warm-up
        double[] r = new double[runs];
        for (int i = 0; i < runs; i++) {
            r[i] = run.megabytesPerSecond();
        }
        Arrays.sort(r);
        return r[runs / 2];
    }

    private static double rate(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    // ---- TCP ----

    private static double tcp(long bytes) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    return drain(in);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); OutputStream out = s.getOutputStream()) {
                send(out, bytes);
            }
            long got = received.get(120, TimeUnit.SECONDS);
            check(got, bytes);
            return rate(bytes, System.nanoTime() - t0);
        }
    }

    /**
     * One stream over TLS 1.3 on TCP (the JDK's TLS, AES-128-GCM as QUIC's packets here, a throw-away P-256 key and
     * self-signed certificate): the encrypted stream over TCP that a QUIC stream stands beside.
     */
    private static double tlsOverTcp(long bytes) throws Exception {
        javax.net.ssl.SSLContext tls = benchTls();
        String[] protocols = {"TLSv1.3"};
        String[] suites = {"TLS_AES_128_GCM_SHA256"};
        try (javax.net.ssl.SSLServerSocket server = (javax.net.ssl.SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setEnabledProtocols(protocols);
            server.setEnabledCipherSuites(suites);
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    return drain(in);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setEnabledProtocols(protocols);
                s.setEnabledCipherSuites(suites);
                try (OutputStream out = s.getOutputStream()) {
                    send(out, bytes);
                }
            }
            long got = received.get(120, TimeUnit.SECONDS);
            check(got, bytes);
            return rate(bytes, System.nanoTime() - t0);
        }
    }

    private static javax.net.ssl.SSLContext benchTlsContext;

    /** A TLS context with a P-256 key and certificate made once by the JDK's keytool (valid from now, for a day). */
    private static synchronized javax.net.ssl.SSLContext benchTls() throws Exception {
        if (benchTlsContext != null) {
            return benchTlsContext;
        }
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("quiver-bench-tls");
        java.nio.file.Path file = dir.resolve("bench.p12");
        char[] secret = "bench-only".toCharArray();
        try {
            Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "bench", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bench", "-validity", "1",
                    "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", new String(secret), "-keypass", new String(secret))
                    .redirectErrorStream(true).start();
            String said = new String(keytool.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make the benchmark's TLS key: " + said);
            }
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            try (InputStream in = java.nio.file.Files.newInputStream(file)) {
                store.load(in, secret);
            }
            javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, secret);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            context.init(keys.getKeyManagers(), InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            benchTlsContext = context;
            return context;
        } finally {
            java.nio.file.Files.deleteIfExists(file);
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    // ---- Quiver ----

    /** One stream through two endpoints, with segmentation and receive offload as by default ({@code offload}) or both off. */
    private static double quiver(long bytes, boolean offload) throws Exception {
        CompletableFuture<Long> received = new CompletableFuture<>();
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        EndpointBuilder serverSettings = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback).handler("bench", conn -> {
            RecvStream s = Blocking.await(conn.acceptUni(), Duration.ofSeconds(30));
            try (InputStream in = s.inputStream()) {
                received.complete(drain(in));
            }
        });
        EndpointBuilder clientSettings = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback);
        if (!offload) {
            serverSettings.segments(0).receiveOffload(false);
            clientSettings.segments(0).receiveOffload(false);
        }
        try (QuicEndpoint server = serverSettings.build(); QuicEndpoint client = clientSettings.build()) {
            Connection c = Blocking.await(client.connect(EndpointAddr.of(server.id(), null, List.of(server.localAddress())), "bench"),
                    Duration.ofSeconds(10));
            long t0 = System.nanoTime();
            try (OutputStream out = Blocking.await(c.openUni(), Duration.ofSeconds(10)).outputStream()) {
                send(out, bytes);
            }
            check(received.get(120, TimeUnit.SECONDS), bytes);
            return rate(bytes, System.nanoTime() - t0);
        }
    }

    // ---- raw netty QUIC ----

    private static <B extends QuicCodecBuilder<B>> B params(B b) {
        return b.maxIdleTimeout(30, TimeUnit.SECONDS).initialMaxData(64L << 20)
                .initialMaxStreamDataBidirectionalLocal(16L << 20).initialMaxStreamDataBidirectionalRemote(16L << 20)
                .initialMaxStreamDataUnidirectional(16L << 20).initialMaxStreamsBidirectional(1000)
                .initialMaxStreamsUnidirectional(1000).maxSendUdpPayloadSize(1472).maxRecvUdpPayloadSize(1472).datagram(2048, 2048);
    }

    private static BoringSSLKeylessManagerFactory keyless(LocalIdentity id) throws Exception {
        return BoringSSLKeylessManagerFactory.newKeyless(new BoringSSLAsyncPrivateKeyMethod() {
            @Override
            public Future<byte[]> sign(SSLEngine engine, int algorithm, byte[] input) {
                return ImmediateEventExecutor.INSTANCE.newSucceededFuture(id.sign(input));
            }

            @Override
            public Future<byte[]> decrypt(SSLEngine engine, byte[] input) {
                return ImmediateEventExecutor.INSTANCE.newFailedFuture(new UnsupportedOperationException());
            }
        }, id.certificate());
    }

    /** Segments per send of the raw baseline with GSO (netty's {@code EpollQuicUtils} allocator, as its docs show). */
    private static final int RAW_SEGMENTS = 10;

    /** Raw netty QUIC as configured before offloads ({@code gso} false), or with GSO on both codecs. */
    private static double rawQuic(long bytes, boolean gso) throws Exception {
        LocalIdentity serverId = Identities.ephemeral();
        LocalIdentity clientId = Identities.ephemeral();
        String type = serverId.certificate().getPublicKey().getAlgorithm();
        Map<String, String> keyTypes = new HashMap<>();
        for (String auth : new String[] {"RSA", "DHE_RSA", "ECDHE_RSA", "ECDHE_ECDSA", "ECDH_RSA", "ECDH_ECDSA", "DH_RSA"}) {
            keyTypes.put(auth, type);
        }
        QuicSslContext serverTls = QuicSslContextBuilder.forServer(keyless(serverId), null).applicationProtocols("bench")
                .clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE).trustManager(InsecureTrustManagerFactory.INSTANCE)
                .option(BoringSSLContextOption.SIGNATURE_ALGORITHMS, new String[] {"ed25519"})
                .option(BoringSSLContextOption.SERVER_KEY_TYPES, keyTypes).build();
        QuicSslContext clientTls = QuicSslContextBuilder.forClient().keyManager(keyless(clientId), null).applicationProtocols("bench")
                .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null)
                .option(BoringSSLContextOption.SIGNATURE_ALGORITHMS, new String[] {"ed25519"})
                .option(BoringSSLContextOption.CLIENT_KEY_TYPES, Collections.singleton(type)).build();
        EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        CompletableFuture<Long> received = new CompletableFuture<>();
        try {
            Channel server = new Bootstrap().group(serverGroup).channel(EpollDatagramChannel.class)
                    .handler(params(new QuicServerCodecBuilder()).sslContext(serverTls).tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                            .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR,
                                    gso ? EpollQuicUtils.newSegmentedAllocator(RAW_SEGMENTS) : SegmentedDatagramPacketAllocator.NONE)
                            .handler(new ChannelInboundHandlerAdapter())
                            .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                                @Override
                                protected void initChannel(QuicStreamChannel ch) {
                                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                        private long count;

                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            count += ((ByteBuf) msg).readableBytes();
                                            ((ByteBuf) msg).release();
                                            if (count >= bytes) {
                                                received.complete(count);
                                            }
                                        }
                                    });
                                }
                            }).build())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            Channel client = new Bootstrap().group(clientGroup).channel(EpollDatagramChannel.class)
                    .handler(params(new QuicClientCodecBuilder()).sslContext(clientTls).build())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            QuicChannel quic = QuicChannel.newBootstrap(client).handler(new ChannelInboundHandlerAdapter())
                    .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR,
                            gso ? EpollQuicUtils.newSegmentedAllocator(RAW_SEGMENTS) : SegmentedDatagramPacketAllocator.NONE)
                    .streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(server.localAddress()).connect().get(10, TimeUnit.SECONDS);
            QuicStreamChannel stream = quic.createStream(QuicStreamType.UNIDIRECTIONAL, new ChannelInboundHandlerAdapter()).get(10, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            byte[] chunk = new byte[CHUNK];
            // the same discipline as Quiver's blocking OutputStream: 64 KiB writes, at most 16 in flight
            java.util.ArrayDeque<io.netty.channel.ChannelFuture> inFlight = new java.util.ArrayDeque<>();
            for (long sent = 0; sent < bytes; sent += CHUNK) {
                inFlight.add(stream.writeAndFlush(stream.alloc().directBuffer(CHUNK).writeBytes(chunk)));
                while (inFlight.size() > 16) {
                    inFlight.poll().sync();
                }
            }
            for (io.netty.channel.ChannelFuture f : inFlight) {
                f.sync();
            }
            check(received.get(120, TimeUnit.SECONDS), bytes);
            long nanos = System.nanoTime() - t0;
            quic.close().sync();
            client.close().sync();
            server.close().sync();
            return rate(bytes, nanos);
        } finally {
            serverGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            clientGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    // ---- set-up latency ----

    /** Times (µs) of {@code n} reconnects to one peer after 50 unmeasured, with session resumption or without. */
    private static List<Long> reconnects(int n, boolean resume) throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback).handler("bench", conn -> { }).build();
                QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback)
                        .sessionResumption(resume ? 1_000 : 0, Duration.ofHours(1)).build()) {
            EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(server.localAddress()));
            List<Long> micros = new ArrayList<>();
            for (int i = 0; i < n + 50; i++) {
                long t0 = System.nanoTime();
                Connection c = Blocking.await(client.connect(target, "bench"), Duration.ofSeconds(10));
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                long t = (System.nanoTime() - t0) / 1000;
                s.send().reset(0);
                c.close();
                if (i >= 50) {
                    micros.add(t);
                }
            }
            return micros;
        }
    }

    /** Set-up times (µs) of {@code n} fresh connections after 50 unmeasured, both ends using {@code kex}. */
    private static List<Long> setupLatency(int n, EndpointBuilder.KeyExchange kex) throws Exception {
        return setupLatency(n, 50, kex);
    }

    /** Set-up times (µs) of {@code n} fresh connections after {@code warmUp} unmeasured, both ends using {@code kex}. */
    private static List<Long> setupLatency(int n, int warmUp, EndpointBuilder.KeyExchange kex) throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback).keyExchange(kex).handler("bench", conn -> { }).build();
                QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(loopback).keyExchange(kex)
                        .sessionResumption(0, Duration.ofHours(1)).build()) { // every one a full handshake
            EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(server.localAddress()));
            List<Long> micros = new ArrayList<>();
            for (int i = 0; i < n + warmUp; i++) {
                long t0 = System.nanoTime();
                Connection c = Blocking.await(client.connect(target, "bench"), Duration.ofSeconds(10));
                BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10)); // one round trip more: the connection is usable
                long t = (System.nanoTime() - t0) / 1000;
                String expected = kex == EndpointBuilder.KeyExchange.CLASSICAL ? "X25519" : "X25519MLKEM768";
                if (!c.keyExchange().equals(expected)) {
                    throw new IllegalStateException("handshake used " + c.keyExchange() + ", not " + expected);
                }
                s.send().reset(0);
                c.close();
                if (i >= warmUp) {
                    micros.add(t);
                }
            }
            return micros;
        }
    }

    private static long drain(InputStream in) throws java.io.IOException {
        byte[] buf = new byte[CHUNK];
        long total = 0;
        int r;
        while ((r = in.read(buf)) >= 0) {
            total += r;
        }
        return total;
    }

    private static void send(OutputStream out, long bytes) throws java.io.IOException {
        byte[] chunk = new byte[CHUNK];
        for (long sent = 0; sent < bytes; sent += CHUNK) {
            out.write(chunk);
        }
    }

    private static void check(long got, long expected) {
        if (got != expected) {
            throw new IllegalStateException("received " + got + " bytes, expected " + expected);
        }
    }
}
