package org.quiver.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quiver.api.PathKind;
import org.quiver.spi.path.PathCandidate;

/** The seed plan's section 2.1 cases, plus property checks over random candidate sets. */
class DefaultPathSelectorTest {
    private final DefaultPathSelector selector = new DefaultPathSelector();

    private static PathCandidate v4(int port, long ms) {
        return PathCandidate.direct("192.0.2.1:" + port, false, Duration.ofMillis(ms));
    }

    private static PathCandidate v6(int port, long ms) {
        return PathCandidate.direct("[2001:db8::1]:" + port, true, Duration.ofMillis(ms));
    }

    private static PathCandidate relay(int n, long ms) {
        return PathCandidate.relay("https://relay" + n + ".example", Duration.ofMillis(ms));
    }

    @Test
    void selectsLowerRttPath() {
        assertThat(selector.select(List.of(v4(5000, 50), v4(5001, 20), v4(5002, 100)), -1)).isEqualTo(1);
    }

    @Test
    void hysteresisPreventsFlapping() {
        // only 2 ms better: stays (a switch needs more than 5 ms)
        assertThat(selector.select(List.of(v4(5000, 50), v4(5001, 48)), 0)).isEqualTo(0);
        // exactly 5 ms better: still stays
        assertThat(selector.select(List.of(v4(5000, 50), v4(5001, 45)), 0)).isEqualTo(0);
    }

    @Test
    void switchesWhenSignificantlyBetter() {
        assertThat(selector.select(List.of(v4(5000, 50), v4(5001, 40)), 0)).isEqualTo(1);
    }

    @Test
    void ipv6WinsAtEqualRtt() {
        assertThat(selector.select(List.of(v4(5000, 50), v6(5001, 50)), -1)).isEqualTo(1);
    }

    @Test
    void ipv6AdvantageIsThreeMilliseconds() {
        // IPv4 2 ms faster: IPv6 still wins (50 - 3 = 47 < 48)
        assertThat(selector.select(List.of(v4(5000, 48), v6(5001, 50)), -1)).isEqualTo(1);
        // IPv4 4 ms faster: IPv4 wins
        assertThat(selector.select(List.of(v4(5000, 46), v6(5001, 50)), -1)).isEqualTo(0);
        // under 3 ms the order among IPv6 paths is kept: the faster one wins
        assertThat(selector.select(List.of(v6(5000, 2), v6(5001, 1)), -1)).isEqualTo(1);
    }

    @Test
    void anIpv4PathInUseYieldsToAnIpv6OneWithinTheAdvantageWithoutHysteresis() {
        // the first answers came over IPv4: it was chosen; IPv6 then measures the same: IPv6 at once
        assertThat(selector.select(List.of(v4(5000, 1), v6(5001, 1)), 0)).isEqualTo(1);
        assertThat(selector.select(List.of(v4(5000, 10), v6(5001, 13)), 0)).as("within 3 ms").isEqualTo(1);
        assertThat(selector.select(List.of(v4(5000, 10), v6(5001, 14)), 0)).as("4 ms slower: IPv4 stays").isEqualTo(0);
        // back from IPv6 to IPv4 takes the advantage and the hysteresis: more than 8 ms
        assertThat(selector.select(List.of(v4(5000, 12), v6(5001, 20)), 1)).isEqualTo(1);
        assertThat(selector.select(List.of(v4(5000, 11), v6(5001, 20)), 1)).isEqualTo(0);
    }

    /**
     * Property: between an IPv4 and an IPv6 direct path whose RTTs wobble with the IPv6 one never more than 3 ms
     * slower and never more than 8 ms faster... the IPv6 path is chosen at the first decision (whichever was in use)
     * and kept.
     */
    @Test
    void anIpv6PathWithinTheAdvantageIsChosenAndKeptWhateverTheWobble() {
        Random random = new Random(0x5eed_0003L);
        for (int run = 0; run < 500; run++) {
            long base = 9_000_000L + random.nextInt(200_000_000);
            int current = random.nextInt(3) - 1; // none, IPv4 or IPv6 in use to begin with
            for (int step = 0; step < 200; step++) {
                long four = base + random.nextInt(20_000_000);
                long six = four + random.nextInt(11_000_001) - 8_000_000; // IPv6 from 8 ms faster to 3 ms slower
                List<PathCandidate> list = List.of(
                        new PathCandidate(PathKind.DIRECT, "192.0.2.1:1", false, four, true),
                        new PathCandidate(PathKind.DIRECT, "[2001:db8::1]:1", true, six, true));
                current = selector.select(list, current);
                assertThat(current).as("run %d step %d: IPv4 %d, IPv6 %d", run, step, four, six).isEqualTo(1);
            }
        }
    }

    @Test
    void directPreferredOverFasterRelay() {
        assertThat(selector.select(List.of(v4(5000, 100), relay(1, 50)), -1)).isEqualTo(0);
        assertThat(selector.select(List.of(relay(1, 50), v4(5000, 100)), -1)).isEqualTo(1);
    }

    @Test
    void fallsBackToFasterRelayWhenNoDirect() {
        assertThat(selector.select(List.of(relay(1, 100), relay(2, 50)), -1)).isEqualTo(1);
    }

    @Test
    void neverSwitchesFromLiveDirectToRelay() {
        assertThat(selector.select(List.of(v4(5000, 100), relay(1, 10)), 0)).isEqualTo(0);
    }

    @Test
    void leavesDeadDirectForRelay() {
        PathCandidate dead = new PathCandidate(PathKind.DIRECT, "192.0.2.1:5000", false, 100_000_000, false);
        assertThat(selector.select(List.of(dead, relay(1, 10)), 0)).isEqualTo(1);
    }

    @Test
    void switchesFromRelayToDirectAtOnce() {
        assertThat(selector.select(List.of(relay(1, 10), v4(5000, 100)), 0)).isEqualTo(1);
    }

    @Test
    void emptyGivesNone() {
        assertThat(selector.select(List.of(), -1)).isEqualTo(-1);
    }

    @Test
    void allSameRttGivesTheFirst() {
        assertThat(selector.select(List.of(v4(5000, 50), v4(5001, 50), v4(5002, 50)), -1)).isEqualTo(0);
    }

    @Test
    void unmeasuredPathsDoNotCompeteButAWorkingCurrentOneIsKept() {
        PathCandidate unmeasured = new PathCandidate(PathKind.DIRECT, "192.0.2.1:1", false, PathCandidate.UNKNOWN_RTT, true);
        PathCandidate invalid = new PathCandidate(PathKind.DIRECT, "192.0.2.1:2", false, 1_000_000, false);
        assertThat(selector.select(List.of(unmeasured, invalid), -1)).isEqualTo(-1);
        assertThat(selector.select(List.of(unmeasured, invalid), 0)).isEqualTo(0);
        assertThat(selector.select(List.of(unmeasured, invalid), 1)).isEqualTo(-1);
        // a measured path replaces an unmeasured current one, even when "slower" is unknowable
        assertThat(selector.select(List.of(unmeasured, v4(5000, 80)), 0)).isEqualTo(1);
        // an out-of-range current index counts as none
        assertThat(selector.select(List.of(v4(5000, 80)), 7)).isEqualTo(0);
    }

    /** Property: the result is -1 only when nothing is usable, otherwise a usable index, and direct beats relay. */
    @Test
    void selectionAlwaysReturnsAUsableCandidate() {
        Random random = new Random(0x5eed_0001L);
        for (int run = 0; run < 20_000; run++) {
            List<PathCandidate> list = randomCandidates(random);
            int current = list.isEmpty() || random.nextInt(4) == 0 ? -1 : random.nextInt(list.size());
            int pick = selector.select(list, current);
            boolean anyMeasured = list.stream().anyMatch(PathCandidate::measured);
            boolean currentWorks = current >= 0 && list.get(current).valid();
            if (pick < 0) {
                assertThat(anyMeasured || currentWorks).as("run %d: %s cur %d", run, list, current).isFalse();
                continue;
            }
            assertThat(pick).isBetween(0, list.size() - 1);
            PathCandidate chosen = list.get(pick);
            assertThat(chosen.measured() || pick == current && chosen.valid()).as("run %d", run).isTrue();
            boolean anyDirectMeasured = list.stream().anyMatch(c -> c.measured() && c.kind() == PathKind.DIRECT);
            boolean curLiveDirect = currentWorks && list.get(current).kind() == PathKind.DIRECT;
            if (anyDirectMeasured || curLiveDirect) {
                assertThat(chosen.kind()).as("run %d: direct beats relay: %s cur %d", run, list, current).isEqualTo(PathKind.DIRECT);
            }
        }
    }

    /**
     * Property: between two live direct paths whose RTTs stay within 5 ms of each other, however they
     * wobble, the choice never changes once made.
     */
    @Test
    void neverFlapsBetweenPathsWithinFiveMilliseconds() {
        Random random = new Random(0x5eed_0002L);
        for (int run = 0; run < 500; run++) {
            long base = 1_000_000L + random.nextInt(200_000_000);
            int current = -1;
            int first = -1;
            for (int step = 0; step < 200; step++) {
                long a = base + random.nextInt(20_000_000);
                long b = a + random.nextInt(10_000_001) - 5_000_000; // |a - b| <= 5 ms
                b = Math.max(0, b);
                List<PathCandidate> list = List.of(
                        new PathCandidate(PathKind.DIRECT, "192.0.2.1:1", false, a, true),
                        new PathCandidate(PathKind.DIRECT, "192.0.2.2:1", false, b, true));
                current = selector.select(list, current);
                if (first < 0) {
                    first = current;
                }
                assertThat(current).as("run %d step %d", run, step).isEqualTo(first);
            }
        }
    }

    static List<PathCandidate> randomCandidates(Random random) {
        int n = random.nextInt(8);
        List<PathCandidate> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean relay = random.nextInt(4) == 0;
            long rtt = random.nextInt(5) == 0 ? PathCandidate.UNKNOWN_RTT : random.nextInt(300_000_000);
            list.add(new PathCandidate(relay ? PathKind.RELAY : PathKind.DIRECT, "p" + i, !relay && random.nextBoolean(),
                    rtt, random.nextInt(5) != 0));
        }
        return list;
    }
}
