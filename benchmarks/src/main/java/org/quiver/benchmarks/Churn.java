package org.quiver.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * Connection churn in one JVM: {@code cycles} times dial, open a stream, reset it, close, between two endpoints
 * on loopback (fresh endpoints every {@code perPair} cycles); counts failures (a dial or stream not done within
 * 10 s, an endpoint that does not close within 5 s) and prints cycle time against a TCP connect/write/close
 * cycle on loopback measured in the same run. Ends with "failures N" for benchmarks/churn.sh to add up.
 */
public final class Churn {
    private Churn() {
    }

    public static void main(String[] args) throws Exception {
        int cycles = Integer.parseInt(args.length > 0 ? args[0] : "10000");
        int perPair = Integer.parseInt(args.length > 1 ? args[1] : "1000");
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        long[] nanos = new long[cycles];
        int failures = 0;
        int done = 0;
        long t0 = System.nanoTime();
        while (done < cycles) {
            try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("churn/1", c -> { }).build();
                 QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).build()) {
                EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(server.localAddress()));
                for (int i = 0; i < perPair && done < cycles; i++, done++) {
                    long t = System.nanoTime();
                    try {
                        Connection c = Blocking.await(client.connect(target, "churn/1"), Duration.ofSeconds(10));
                        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
                        s.send().reset(0);
                        c.close();
                    } catch (Exception e) {
                        failures++;
                        System.out.println("cycle " + done + " failed: " + e);
                    }
                    nanos[done] = System.nanoTime() - t;
                }
            } catch (IllegalStateException notClosed) {
                failures++;
                System.out.println("an endpoint did not close: " + notClosed.getMessage());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long[] tcp = tcpCycles(Math.min(cycles, 5000));
        Arrays.sort(nanos);
        Arrays.sort(tcp);
        double quiverMedian = nanos[cycles / 2] / 1e6;
        double tcpMedian = tcp[tcp.length / 2] / 1e6;
        System.out.printf("quiver: %d cycles in %.1f s (%.0f/s), median %.2f ms, p99 %.2f ms, max %.1f ms%n", cycles, seconds,
                cycles / seconds, quiverMedian, nanos[(int) (cycles * 0.99)] / 1e6, nanos[cycles - 1] / 1e6);
        System.out.printf("tcp (baseline, connect/write/close): median %.3f ms, p99 %.3f ms%n", tcpMedian, tcp[(int) (tcp.length * 0.99)] / 1e6);
        System.out.printf("ratio quiver/tcp median cycle: %.1f%n", quiverMedian / tcpMedian);
        System.out.println("failures " + failures);
    }

    private static long[] tcpCycles(int n) throws IOException {
        long[] out = new long[n];
        try (ServerSocket server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        s.getInputStream().read();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "tcp-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    s.getOutputStream().write(1);
                }
                out[i] = System.nanoTime() - t;
            }
        }
        return out;
    }
}
