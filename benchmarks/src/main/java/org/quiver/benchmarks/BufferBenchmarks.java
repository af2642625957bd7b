package org.quiver.benchmarks;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.quiver.transport.quic.impl.BoundedPendingBuffer;

/**
 * The pending buffer's push + pop against the same on a bare {@code ArrayDeque} (no limits, no
 * bookkeeping, no lock) in the same run: 1 KiB messages over 64 peers, and the same at the per-peer limit,
 * where every push drops the oldest. Run: {@code benchmarks/buffer.sh}; prints ops/s and the ratios.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BufferBenchmarks {
    private final byte[] message = new byte[1024];
    private BoundedPendingBuffer<Integer, byte[]> buffer;
    private BoundedPendingBuffer<Integer, byte[]> full;
    private ArrayDeque<byte[]>[] deques;
    private int peer;
    private long dropped;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() {
        buffer = new BoundedPendingBuffer<>(BoundedPendingBuffer.Limits.DEFAULT, m -> m.length, System::nanoTime, (p, m, r) -> dropped++);
        full = new BoundedPendingBuffer<>(BoundedPendingBuffer.Limits.DEFAULT, m -> m.length, System::nanoTime, (p, m, r) -> dropped++);
        for (int p = 0; p < 64; p++) {
            for (int i = 0; i < BoundedPendingBuffer.Limits.DEFAULT.maxMessagesPerPeer(); i++) {
                full.push(p, message);
            }
            buffer.push(p, message); // one waiting per peer, so push/pop never empties a peer
        }
        deques = new ArrayDeque[64];
        for (int p = 0; p < 64; p++) {
            deques[p] = new ArrayDeque<>();
            deques[p].add(message);
        }
    }

    @Benchmark
    public byte[] pushPop() {
        int p = peer++ & 63;
        buffer.push(p, message);
        return buffer.pop(p);
    }

    @Benchmark
    public byte[] dequePushPop() {
        ArrayDeque<byte[]> d = deques[peer++ & 63];
        d.addLast(message);
        return d.pollFirst();
    }

    @Benchmark
    public int pushAtLimit() {
        int p = peer++ & 63;
        full.push(p, message); // drops the oldest
        return full.messageCount(p);
    }

    public static void main(String[] args) throws Exception {
        java.util.Map<String, Double> ops = new java.util.TreeMap<>();
        for (RunResult r : new Runner(new OptionsBuilder().include(BufferBenchmarks.class.getName() + "\\.").build()).run()) {
            ops.put(r.getParams().getBenchmark().replaceAll(".*\\.", ""), r.getPrimaryResult().getScore());
        }
        System.out.println();
        ops.forEach((n, v) -> System.out.printf(Locale.ROOT, "%-14s %,14.0f ops/s%n", n, v));
        System.out.printf(Locale.ROOT, "bounded buffer push+pop / bare ArrayDeque push+pop: %.2f%n", ops.get("pushPop") / ops.get("dequePushPop"));
        System.out.printf(Locale.ROOT, "push at the limit (drops oldest) / push+pop: %.2f%n", ops.get("pushAtLimit") / ops.get("pushPop"));
    }
}
