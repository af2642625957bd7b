package org.quiver.itests;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * How often birthday punching finds a direct path, and how fast: a measurement, not part of the suite (its name
 * does not end in IT). In the NAT lab, {@code -Dodds.nodes=N} port-restricted nodes dial N symmetric ones by id, N
 * pairs at once, every dialer to every dialed (N x N pairs; a node begins at most four birthday rounds a minute,
 * a pair may take two; so shifts are 30 s apart), and the outcome of each pair is printed: direct and how fast (under ~1 s: the first
 * round; later: the second), or not. Run with
 * {@code cd itests && mvn -o verify -Dit.test=BirthdayOdds -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dodds.nodes=3};
 * the summary is in target/failsafe-reports/org.quiver.itests.BirthdayOdds-output.txt. With {@code -Dodds.debug=true} a
 * pair that did not go direct is followed by both routers' UDP conntrack tables, both nodes' sockets and five seconds of
 * the hard node's UDP traffic (needs {@code conntrack} and {@code tcpdump}; this is how a ping storm between two nodes
 * was found, {@code CandidateSet#PUNCH_BACK_GAP_NANOS}).
 */
public class BirthdayOdds {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void birthdayPunchingOdds() throws Exception {
        int n = Integer.getInteger("odds.nodes", 3);
        List<NatMatrixIT.Row> rows = new ArrayList<>();
        try (NatLab lab = new NatLab(tmp.getRoot().toPath())) {
            lab.startRelay();
            List<LabNode> easy = new ArrayList<>();
            List<LabNode> hard = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                easy.add(lab.node("eim" + i, Nat.EIM, ""));
                hard.add(lab.node("sym" + i, Nat.SYMMETRIC, ""));
            }
            lab.startNodes();
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                for (int shift = 0; shift < n; shift++) {
                    long began = System.nanoTime();
                    List<Future<NatMatrixIT.Row>> pairs = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        LabNode a = easy.get(i);
                        LabNode b = hard.get((i + shift) % n);
                        pairs.add(pool.submit(() -> NatMatrixIT.pair(a, b)));
                    }
                    for (Future<NatMatrixIT.Row> f : pairs) {
                        NatMatrixIT.Row r = f.get();
                        rows.add(r);
                        System.out.println(r.direct() ? "direct after " + r.directMs() + " ms" : "NOT DIRECT: " + r.detail());
                        if (!r.direct() && Boolean.getBoolean("odds.debug")) {
                            LabNode a = easy.get(pairs.indexOf(f));
                            LabNode b = hard.get((pairs.indexOf(f) + shift) % n);
                            for (LabNode x : List.of(a, b)) {
                                System.out.println("conntrack " + x.router + ":\n" + Netns.sh("ip", "netns", "exec", x.router, "conntrack", "-L", "-p", "udp"));
                                System.out.println("ss " + x.ns + ":\n" + Netns.sh("ip", "netns", "exec", x.ns, "ss", "-uan"));
                            }
                            System.out.println("tcpdump " + b.ns + ":\n" + Netns.sh("sh", "-c", "ip netns exec " + b.ns
                                    + " timeout 5 tcpdump -c 300 -nni any udp and not port 3478 and not port 3479 2>&1; true"));
                        }
                    }
                    long left = 30_000 - (System.nanoTime() - began) / 1_000_000;
                    if (left > 0 && shift < n - 1) {
                        Thread.sleep(left);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
        long direct = rows.stream().filter(NatMatrixIT.Row::direct).count();
        long firstRound = rows.stream().filter(r -> r.direct() && r.directMs() < 900).count();
        System.out.printf(Locale.ROOT, "birthday odds: %d pairs, %d direct (%d within 900 ms, %d later), %d not direct%n", rows.size(),
                direct, firstRound, direct - firstRound, rows.size() - direct);
    }
}
