package org.quiver.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.quiver.api.PathKind;
import org.quiver.transport.quic.impl.Candidate;
import org.quiver.transport.quic.impl.CandidateSet;
import org.quiver.path.DefaultPathSelector;
import org.quiver.spi.path.PathCandidate;

/**
 * Path selection and pruning, each against a baseline in the same run:
 * <ul>
 *   <li>{@code select}: the default selector over 100 candidates, against {@code minRtt}, a bare scan for the
 *       smallest of the same 100 RTTs in a long[] (the least work any RTT policy must do);</li>
 *   <li>{@code chooseSteady}: the same through {@link CandidateSet#choose}, as the transport calls it on every
 *       probe answer (cached views, no change);</li>
 *   <li>{@code addWithPruning}: adding a candidate to a full set (30), which prunes the least valuable one,
 *       against {@code addBelowLimit}, adding to a set with room;</li>
 *   <li>{@code probeTagAndCheck}: what authenticating one probe costs both sides now (an HMAC-SHA256 tag made
 *       and checked over the 93 covered bytes, key cached), against {@code probeSignAndVerify}, the Ed25519
 *       signature and check the first design used.</li>
 * </ul>
 * Run: {@code benchmarks/paths.sh}. Prints ns/op, bytes allocated per op (JMH's GC profiler) and the ratios.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PathBenchmarks {
    private static final long MS = 1_000_000L;
    private final DefaultPathSelector selector = new DefaultPathSelector();
    private List<PathCandidate> candidates;
    private long[] rtts;
    private int current;
    private CandidateSet<Integer> hundred;
    private CandidateSet<Integer> full;
    private CandidateSet<Integer> roomy;
    private int next;
    private final byte[] probe = new byte[93];
    private javax.crypto.Mac mac;
    private java.security.KeyPair keys;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(7);
        candidates = new ArrayList<>();
        rtts = new long[100];
        for (int i = 0; i < 100; i++) {
            boolean relay = i % 10 == 0;
            long rtt = 1 + random.nextInt(200) * MS;
            rtts[i] = rtt;
            candidates.add(new PathCandidate(relay ? PathKind.RELAY : PathKind.DIRECT, "198.18.0." + i + ":4433", !relay && i % 3 == 0, rtt, true));
        }
        current = 42;
        random.nextBytes(probe);
        try {
            mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256"));
            keys = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        // a set the transport would hold (30 at most), all validated, then asked again and again
        hundred = new CandidateSet<>(CandidateSet.Timings.DEFAULT);
        for (int i = 0; i < CandidateSet.MAX_CANDIDATES; i++) {
            Candidate<Integer> c = hundred.add(i, PathKind.DIRECT, false, CandidateSet.Source.PUBLISHED);
            hundred.pingSent(c, i, 1_000 * MS);
            hundred.pongReceived(c, i, 1_000 * MS + rtts[i]);
        }
        hundred.select(hundred.candidates().get(0));
    }

    @Setup(Level.Iteration)
    public void sets() {
        full = new CandidateSet<>(CandidateSet.Timings.DEFAULT);
        for (int i = 0; i < CandidateSet.MAX_CANDIDATES; i++) {
            full.add(i, PathKind.DIRECT, false, CandidateSet.Source.PUBLISHED);
        }
        roomy = new CandidateSet<>(CandidateSet.Timings.DEFAULT);
        next = 1_000;
    }

    @Benchmark
    public int select() {
        return selector.select(candidates, current);
    }

    @Benchmark
    public int minRtt() {
        int best = 0;
        for (int i = 1; i < rtts.length; i++) {
            if (rtts[i] < rtts[best]) {
                best = i;
            }
        }
        return best;
    }

    @Benchmark
    public Object chooseSteady() {
        return hundred.choose(selector);
    }

    @Benchmark
    public Object addWithPruning() {
        return full.add(next++, PathKind.DIRECT, false, CandidateSet.Source.OBSERVED);
    }

    @Benchmark
    public Object addBelowLimit() {
        Object c = roomy.add(next++, PathKind.DIRECT, false, CandidateSet.Source.OBSERVED);
        if (roomy.size() >= CandidateSet.MAX_CANDIDATES - 1) {
            roomy = new CandidateSet<>(CandidateSet.Timings.DEFAULT);
        }
        return c;
    }

    @Benchmark
    public boolean probeTagAndCheck() {
        mac.update(probe);
        byte[] tag = mac.doFinal();
        mac.update(probe);
        return java.security.MessageDigest.isEqual(tag, mac.doFinal());
    }

    @Benchmark
    public boolean probeSignAndVerify() throws java.security.GeneralSecurityException {
        java.security.Signature signer = java.security.Signature.getInstance("Ed25519");
        signer.initSign(keys.getPrivate());
        signer.update(probe);
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance("Ed25519");
        verifier.initVerify(keys.getPublic());
        verifier.update(probe);
        return verifier.verify(signature);
    }

    public static void main(String[] args) throws Exception {
        Options options = new OptionsBuilder().include(PathBenchmarks.class.getName() + "\\.").addProfiler(GCProfiler.class).build();
        java.util.Collection<RunResult> results = new Runner(options).run();
        java.util.Map<String, double[]> byName = new java.util.TreeMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            double ns = r.getPrimaryResult().getScore();
            org.openjdk.jmh.results.Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            byName.put(name, new double[] {ns, alloc == null ? Double.NaN : alloc.getScore()});
        }
        System.out.println();
        System.out.println("benchmark                ns/op   bytes/op");
        byName.forEach((n, v) -> System.out.printf(Locale.ROOT, "%-20s %11.1f %9.1f%n", n, v[0], v[1]));
        System.out.printf(Locale.ROOT, "select over 100 candidates / bare min-RTT scan: %.2f%n", byName.get("select")[0] / byName.get("minRtt")[0]);
        System.out.printf(Locale.ROOT, "add with pruning (full set of 30) / add below the limit: %.2f%n",
                byName.get("addWithPruning")[0] / byName.get("addBelowLimit")[0]);
        System.out.printf(Locale.ROOT, "probe authentication, Ed25519 sign+verify / HMAC tag+check: %.0f%n",
                byName.get("probeSignAndVerify")[0] / byName.get("probeTagAndCheck")[0]);
    }
}
