package org.quiver.transport.quic.impl;

import org.quiver.path.DefaultPathSelector;
import org.quiver.transport.quic.impl.CandidateSet.Source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quiver.api.PathKind;
import org.quiver.api.PathState;
import org.quiver.spi.path.PathCandidate;

/** The seed plan's sections 1.2 (pruning) and 2.2 (redundant paths), plus probe bookkeeping and properties. */
class CandidateSetTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final CandidateSet.Timings T = CandidateSet.Timings.ofHeartbeat(1000 * MS);

    private static CandidateSet<String> set() {
        return new CandidateSet<>(T);
    }

    private static Candidate<String> direct(CandidateSet<String> set, String addr) {
        return set.add(addr, PathKind.DIRECT, false, Source.PUBLISHED);
    }

    /** Probes {@code c} once at {@code now} and answers after {@code rttMs}. */
    private static void validate(CandidateSet<String> set, Candidate<String> c, long now, long rttMs) {
        long tx = now ^ c.key().hashCode();
        set.pingSent(c, tx, now);
        assertThat(set.pongReceived(c, tx, now + rttMs * MS)).isEqualTo(rttMs * MS);
    }

    @Test
    void enforcesTheCandidateLimitAndKeepsHigherPrioritySources() {
        CandidateSet<String> set = set();
        for (int i = 0; i < CandidateSet.MAX_CANDIDATES; i++) {
            direct(set, "192.168.1." + i + ":5000");
        }
        assertThat(set.size()).isEqualTo(CandidateSet.MAX_CANDIDATES);
        Candidate<String> observed = set.add("192.168.1.100:5000", PathKind.DIRECT, false, Source.OBSERVED);
        assertThat(observed).isNotNull();
        assertThat(set.size()).isEqualTo(CandidateSet.MAX_CANDIDATES);
        assertThat(set.candidates()).anyMatch(c -> c.source() == Source.OBSERVED);
        assertThat(set.get("192.168.1.0:5000")).as("the oldest of the lowest priority went").isNull();
        assertThat(set.pruned()).isEqualTo(1);
    }

    @Test
    void afterAChangeOfNetworkAWorkingPathThatDoesNotAnswerIsLeftWithinAFewRoundTripsNotAfterThePathTimeout() {
        CandidateSet<String> set = set();
        long now = 1_000_000 * MS;
        Candidate<String> dead = direct(set, "192.0.2.1:5000");
        Candidate<String> alive = direct(set, "192.0.2.2:5000");
        validate(set, dead, now, 10);
        validate(set, alive, now, 20);
        long outstanding = 77;
        set.pingSent(dead, outstanding, now + 30 * MS); // a probe sent on the old network, still in flight

        long change = now + 40 * MS;
        long wait = set.probeAllNow(change);
        assertThat(wait).as("three round trips of the slowest working path and 100 ms").isEqualTo(3 * 20 * MS + 100 * MS);
        assertThat(set.probeDue(dead, change)).as("probed now, not at the next interval").isTrue();
        set.pingSent(dead, 1, change);
        set.pingSent(alive, 2, change);
        assertThat(set.pongReceived(dead, outstanding, change + 5 * MS)).as("the old probe's answer still counts as an RTT").isPositive();
        set.pongReceived(alive, 2, change + 20 * MS); // answered on the new network
        assertThat(set.expire(change + CandidateSet.doubtNanos(dead) - MS)).as("not before its wait").isFalse();
        assertThat(set.expire(change + CandidateSet.doubtNanos(dead) + MS)).isTrue();
        assertThat(dead.state()).as("an answer to a probe from before the change does not clear the doubt").isEqualTo(PathState.INACTIVE);
        assertThat(alive.state()).as("it answered a probe sent after the change").isEqualTo(PathState.VALID);
        assertThat(set.expire(change + wait + T.pathTimeoutNanos() / 2)).as("no doubt left: only the path timeout from now on").isFalse();
        assertThat(alive.state()).isEqualTo(PathState.VALID);

        // a peer that moves to the relay puts the selected direct path in doubt once, until it answers again
        set.select(alive);
        long later = change + 5_000 * MS;
        validate(set, alive, later, 20);
        assertThat(set.doubtSelectedDirect(later + 30 * MS)).isTrue();
        assertThat(set.doubtSelectedDirect(later + 31 * MS)).as("already in doubt").isFalse();
        assertThat(set.expire(later + 30 * MS + CandidateSet.doubtNanos(alive) + MS)).isTrue();
        assertThat(alive.state()).isEqualTo(PathState.INACTIVE);
    }

    @Test
    void aPathInDoubtThatCarriesThePeersQuicAgainIsNoLongerInDoubt() {
        CandidateSet<String> set = set();
        long now = 1_000_000 * MS;
        Candidate<String> c = direct(set, "192.0.2.1:5000");
        validate(set, c, now, 20);
        set.select(c);
        long doubt = now + 100 * MS;
        assertThat(set.doubtSelectedDirect(doubt, 400 * MS)).isTrue();
        set.heardSinceDoubt(c, doubt + 10 * MS); // within a round trip of the doubt: it was on its way before
        assertThat(set.expire(doubt + 400 * MS + MS)).as("the wait given, not the default one").isTrue();
        assertThat(c.state()).isEqualTo(PathState.INACTIVE);

        Candidate<String> d = direct(set, "192.0.2.2:5000");
        validate(set, d, now + 500 * MS, 20);
        set.select(d);
        long doubt2 = now + 600 * MS;
        assertThat(set.doubtSelectedDirect(doubt2, 400 * MS)).isTrue();
        set.heardSinceDoubt(d, doubt2 + 30 * MS); // a round trip later: the path answers our QUIC again
        assertThat(set.expire(doubt2 + 400 * MS + MS)).isFalse();
        assertThat(d.state()).isEqualTo(PathState.VALID);
        assertThat(set.doubtSelectedDirect(doubt2 + 500 * MS, 400 * MS)).as("no longer in doubt: can be doubted again").isTrue();
    }

    @Test
    void inactiveCandidatesArePrunedToTheirLimit() {
        CandidateSet<String> set = set();
        for (int i = 0; i < 20; i++) {
            Candidate<String> c = direct(set, "192.168.1." + i + ":5000");
            if (i < 15) {
                set.markInactive(c);
            }
        }
        long inactive = set.candidates().stream().filter(c -> c.state() == PathState.INACTIVE).count();
        assertThat(inactive).isEqualTo(CandidateSet.MAX_INACTIVE);
        assertThat(set.get("192.168.1.0:5000")).as("oldest inactive pruned first").isNull();
        assertThat(set.get("192.168.1.14:5000")).isNotNull();
        assertThat(set.size()).isEqualTo(15);
    }

    @Test
    void stateTransitions() {
        CandidateSet<String> set = set();
        Candidate<String> c = direct(set, "192.168.1.1:5000");
        assertThat(c.state()).isEqualTo(PathState.UNKNOWN);
        assertThat(set.probeDue(c, 0)).isTrue();
        set.pingSent(c, 1, 10 * MS);
        assertThat(c.state()).isEqualTo(PathState.VALIDATING);
        assertThat(set.pongReceived(c, 1, 30 * MS)).isEqualTo(20 * MS);
        assertThat(c.state()).isEqualTo(PathState.VALID);
        assertThat(c.rttNanos()).isEqualTo(20 * MS);
        set.markInactive(c);
        assertThat(c.state()).isEqualTo(PathState.INACTIVE);
        set.pingSent(c, 2, 40 * MS);
        set.pongReceived(c, 2, 45 * MS);
        assertThat(c.state()).as("an answer revives it").isEqualTo(PathState.VALID);
    }

    @Test
    void oldestGoesWhenAllHaveTheSamePriority() {
        CandidateSet<String> set = set();
        for (int i = 0; i < CandidateSet.MAX_CANDIDATES; i++) {
            direct(set, "192.168.1." + i + ":5000");
        }
        direct(set, "192.168.1.99:5000");
        assertThat(set.get("192.168.1.0:5000")).isNull();
        assertThat(set.get("192.168.1.1:5000")).isNotNull();
    }

    @Test
    void unusableThenInactiveArePrunedBeforeWorkingPaths() {
        CandidateSet<String> set = set();
        for (int i = 0; i < CandidateSet.MAX_CANDIDATES; i++) {
            Candidate<String> c = direct(set, "10.0.0." + i + ":1");
            validate(set, c, (i + 1) * 1000 * MS, 5);
        }
        Candidate<String> inactive = set.get("10.0.0.3:1");
        set.markInactive(inactive);
        direct(set, "10.0.0.100:1");
        assertThat(set.get("10.0.0.3:1")).as("the inactive one went, though newer than others").isNull();
        assertThat(set.get("10.0.0.0:1")).isNotNull();
    }

    @Test
    void theSelectedPathIsNeverPruned() {
        CandidateSet<String> set = set();
        Candidate<String> first = direct(set, "10.0.0.0:1");
        set.select(first);
        for (int i = 1; i < 100; i++) {
            direct(set, "10.0.0." + i + ":1");
        }
        assertThat(set.size()).isEqualTo(CandidateSet.MAX_CANDIDATES);
        assertThat(set.selected()).isSameAs(first);
        assertThat(set.candidates()).contains(first);
    }

    @Test
    void addingAKnownPathReturnsItAndRaisesItsSource() {
        CandidateSet<String> set = set();
        Candidate<String> c = direct(set, "10.0.0.1:1");
        assertThat(set.add("10.0.0.1:1", PathKind.DIRECT, false, Source.OBSERVED)).isSameAs(c);
        assertThat(c.source()).isEqualTo(Source.OBSERVED);
        assertThat(set.add("10.0.0.1:1", PathKind.DIRECT, false, Source.PUBLISHED).source()).isEqualTo(Source.OBSERVED);
        assertThat(set.size()).isEqualTo(1);
    }

    @Test
    void rttIsTheMinimumOfTheLastFiveSamples() {
        CandidateSet<String> set = set();
        Candidate<String> c = direct(set, "10.0.0.1:1");
        validate(set, c, 1000 * MS, 20);
        assertThat(c.rttNanos()).isEqualTo(20 * MS);
        validate(set, c, 2000 * MS, 200); // late answers (queueing, a pause) move nothing
        validate(set, c, 3000 * MS, 300);
        assertThat(c.rttNanos()).isEqualTo(20 * MS);
        validate(set, c, 4000 * MS, 12);
        assertThat(c.rttNanos()).as("a faster path shows at once").isEqualTo(12 * MS);
        for (int i = 0; i < 4; i++) {
            validate(set, c, (5000 + i * 1000) * MS, 50);
            assertThat(c.rttNanos()).as("a slower path needs five samples").isEqualTo(12 * MS);
        }
        validate(set, c, 9000 * MS, 50);
        assertThat(c.rttNanos()).isEqualTo(50 * MS);
    }

    @Test
    void anAnswerValidatesOnceAndUnknownTransactionsNothing() {
        CandidateSet<String> set = set();
        Candidate<String> c = direct(set, "10.0.0.1:1");
        set.pingSent(c, 42, 1000 * MS);
        assertThat(set.pongReceived(c, 43, 1001 * MS)).as("not ours").isEqualTo(-1);
        assertThat(c.state()).isEqualTo(PathState.VALIDATING);
        assertThat(set.pongReceived(c, 42, 1002 * MS)).isEqualTo(2 * MS);
        set.markInactive(c);
        assertThat(set.pongReceived(c, 42, 1003 * MS)).as("replayed").isEqualTo(-1);
        assertThat(c.state()).isEqualTo(PathState.INACTIVE);
        // only the last MAX_OUTSTANDING probes are remembered
        for (int i = 0; i < CandidateSet.MAX_OUTSTANDING + 1; i++) {
            set.pingSent(c, 100 + i, (2000 + i) * MS);
        }
        assertThat(set.pongReceived(c, 100, 2100 * MS)).isEqualTo(-1);
        assertThat(set.pongReceived(c, 101, 2100 * MS)).isEqualTo(99 * MS);
    }

    @Test
    void timeoutsMakePathsInactiveOrUnusable() {
        CandidateSet<String> set = set();
        Candidate<String> works = direct(set, "10.0.0.1:1");
        Candidate<String> never = direct(set, "10.0.0.2:1");
        validate(set, works, 1000 * MS, 5);
        long t = 1000 * MS;
        for (int i = 0; i < CandidateSet.ATTEMPTS_BEFORE_UNUSABLE; i++) {
            assertThat(set.probeDue(never, t)).isTrue();
            set.pingSent(never, 7 + i, t);
            assertThat(set.probeDue(never, t + 10 * MS)).isFalse();
            t += 1000 * MS;
        }
        assertThat(set.expire(t)).isTrue();
        assertThat(never.state()).isEqualTo(PathState.UNUSABLE);
        assertThat(set.probeDue(never, t + 1000 * MS)).as("unusable paths are retried slowly").isFalse();
        assertThat(set.probeDue(never, t + 2500 * MS)).isTrue();
        assertThat(works.state()).isEqualTo(PathState.VALID);
        assertThat(set.expire(1000 * MS + 3250 * MS)).isFalse();
        assertThat(set.expire(1000 * MS + 3300 * MS)).isTrue();
        assertThat(works.state()).isEqualTo(PathState.INACTIVE);
        assertThat(works.view().valid()).isFalse();
    }

    @Test
    void choosingUsesTheSelectorAndSurvivesABrokenOne() {
        CandidateSet<String> set = set();
        Candidate<String> slow = direct(set, "10.0.0.1:1");
        Candidate<String> fast = direct(set, "10.0.0.2:1");
        validate(set, slow, 1000 * MS, 50);
        validate(set, fast, 1000 * MS, 10);
        assertThat(set.choose(new DefaultPathSelector())).isSameAs(fast);
        set.select(slow);
        assertThat(set.choose((c, cur) -> {
            throw new IllegalStateException("broken selector");
        })).as("keeps the current path").isSameAs(slow);
        assertThat(set.choose((c, cur) -> 17)).isSameAs(slow);
        assertThat(set.choose((c, cur) -> -1)).isNull();
        assertThatThrownBy(() -> set.select(new CandidateSet<String>(T).add("x", PathKind.DIRECT, false, Source.OBSERVED)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void viewsAreReusedUntilSomethingChanges() {
        CandidateSet<String> set = set();
        Candidate<String> c = direct(set, "10.0.0.1:1");
        validate(set, c, 1000 * MS, 10);
        List<PathCandidate> v1 = set.views();
        PathCandidate p1 = v1.get(0);
        assertThat(set.views().get(0)).isSameAs(p1);
        validate(set, c, 2000 * MS, 30);
        assertThat(set.views().get(0)).as("the estimate did not change").isSameAs(p1);
        validate(set, c, 3000 * MS, 5);
        assertThat(set.views().get(0)).isNotSameAs(p1);
        assertThat(set.views().get(0).rttNanos()).isEqualTo(5 * MS);
    }

    // ---- seed 2.2: redundant paths

    @Test
    void closesRedundantDirectPathsKeepingOneBackup() {
        CandidateSet<String> set = set();
        Candidate<String> a = direct(set, "192.168.1.1:5000");
        Candidate<String> b = direct(set, "192.168.1.2:5000");
        Candidate<String> c = direct(set, "192.168.1.3:5000");
        validate(set, a, 1000 * MS, 30);
        validate(set, b, 1000 * MS, 10);
        validate(set, c, 1000 * MS, 20);
        set.select(b);
        assertThat(set.closeRedundant()).containsExactly("192.168.1.1:5000");
        assertThat(a.state()).isEqualTo(PathState.CLOSED);
        assertThat(set.probeDue(a, 10_000 * MS)).as("closed paths are not probed").isFalse();
        assertThat(set.closeRedundant()).isEmpty();
    }

    @Test
    void keepsTheBackupWhenThereAreOnlyTwo() {
        CandidateSet<String> set = set();
        Candidate<String> a = direct(set, "192.168.1.1:5000");
        Candidate<String> b = direct(set, "192.168.1.2:5000");
        validate(set, a, 1000 * MS, 10);
        validate(set, b, 1000 * MS, 20);
        set.select(a);
        assertThat(set.closeRedundant()).isEmpty();
    }

    @Test
    void neverClosesRelayPathsNorTheLastDirectOne() {
        CandidateSet<String> set = set();
        Candidate<String> d = direct(set, "192.168.1.1:5000");
        Candidate<String> r1 = set.add("https://relay.example", PathKind.RELAY, false, Source.RELAY);
        Candidate<String> r2 = set.add("https://relay2.example", PathKind.RELAY, false, Source.RELAY);
        validate(set, d, 1000 * MS, 10);
        validate(set, r1, 1000 * MS, 10);
        validate(set, r2, 1000 * MS, 10);
        set.select(d);
        assertThat(set.closeRedundant()).isEmpty();
        assertThat(set.closeRedundant()).isEmpty();
        set.select(r1);
        assertThat(set.closeRedundant()).as("a relay selected: up to two direct paths stay open").isEmpty();
        assertThat(new CandidateSet<String>(T).closeRedundant()).as("nothing selected").isEmpty();
    }

    @Test
    void closedPathsReopenWhenTheWorkingOnesDie() {
        CandidateSet<String> set = set();
        Candidate<String> a = direct(set, "192.168.1.1:5000");
        Candidate<String> b = direct(set, "192.168.1.2:5000");
        Candidate<String> c = direct(set, "192.168.1.3:5000");
        validate(set, a, 1000 * MS, 30);
        validate(set, b, 1000 * MS, 10);
        validate(set, c, 1000 * MS, 20);
        set.select(b);
        set.closeRedundant();
        assertThat(set.reopenIfNeeded()).isFalse();
        set.markInactive(c);
        assertThat(set.reopenIfNeeded()).isTrue();
        assertThat(a.state()).isEqualTo(PathState.VALIDATING);
        assertThat(set.probeDue(a, 1001 * MS)).isTrue();
    }

    @Test
    void timingsAreChecked() {
        assertThat(CandidateSet.Timings.DEFAULT.heartbeatNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(2));
        assertThatThrownBy(() -> new CandidateSet.Timings(0, 1, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CandidateSet.Timings(5, 1, 5)).hasMessageContaining("longer than the heartbeat");
        assertThat(CandidateSet.min(new long[] {9, 1, 5}, 3)).isEqualTo(1);
        assertThat(CandidateSet.min(new long[] {9, 1, 5}, 1)).isEqualTo(9);
    }

    /** Property: whatever happens, the limits hold and the selected path stays a member. */
    @Test
    void limitsHoldUnderRandomOperations() {
        Random random = new Random(0x5eed_0003L);
        DefaultPathSelector selector = new DefaultPathSelector();
        for (int run = 0; run < 200; run++) {
            CandidateSet<String> set = set();
            long now = 1;
            for (int step = 0; step < 500; step++) {
                now += random.nextInt(400) * MS;
                String key = "10.0." + random.nextInt(4) + "." + random.nextInt(40) + ":1";
                switch (random.nextInt(8)) {
                    case 0, 1 -> set.add(key, random.nextInt(6) == 0 ? PathKind.RELAY : PathKind.DIRECT, random.nextBoolean(),
                            Source.values()[random.nextInt(3)]);
                    case 2 -> {
                        Candidate<String> c = set.get(key);
                        if (c != null) {
                            set.markInactive(c);
                        }
                    }
                    case 3 -> {
                        for (Candidate<String> c : set.candidates()) {
                            if (set.probeDue(c, now)) {
                                set.pingSent(c, now, now);
                            }
                        }
                    }
                    case 4 -> {
                        if (set.size() > 0) {
                            Candidate<String> c = set.candidates().get(random.nextInt(set.size()));
                            set.pongReceived(c, c.lastPingNanos(), now);
                        }
                    }
                    case 5 -> set.expire(now);
                    case 6 -> {
                        set.select(set.choose(selector));
                        set.closeRedundant();
                    }
                    default -> set.reopenIfNeeded();
                }
                assertThat(set.size()).isLessThanOrEqualTo(CandidateSet.MAX_CANDIDATES);
                long inactive = set.candidates().stream()
                        .filter(c -> c.state() == PathState.INACTIVE || c.state() == PathState.CLOSED).count();
                assertThat(inactive).as("run %d step %d", run, step).isLessThanOrEqualTo(CandidateSet.MAX_INACTIVE + 1);
                if (set.selected() != null) {
                    assertThat(set.candidates()).contains(set.selected());
                }
                assertThat(set.views()).hasSize(set.size());
            }
        }
    }
}
