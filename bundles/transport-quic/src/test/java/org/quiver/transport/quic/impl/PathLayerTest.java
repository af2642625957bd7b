package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quiver.api.LocalIdentity;
import org.quiver.api.PathState;
import org.quiver.api.PathStatus;
import org.quiver.identity.Identities;

/** The path layer's probe handling in plain Java: two layers wired back to back, and an attacker between. */
class PathLayerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final LocalIdentity alice = Identities.ephemeral();
    private final LocalIdentity bob = Identities.ephemeral();
    private final LocalIdentity mallory = Identities.ephemeral();
    private final InetSocketAddress bobAt1 = new InetSocketAddress("198.18.0.2", 1001);
    private final InetSocketAddress bobAt2 = new InetSocketAddress("198.18.0.3", 1002);
    private final InetSocketAddress aliceAt = new InetSocketAddress("198.18.0.1", 1000);

    private record Sent(InetSocketAddress to, PathAddr path, byte[] datagram) {}

    /** Where a relayed datagram "goes" in {@link Sent#to} (it has no socket address). */
    private static final InetSocketAddress RELAYED = new InetSocketAddress("0.0.0.0", 0);

    private static Sent sent(PathAddr to, byte[] d) {
        return new Sent(to instanceof PathAddr.Direct x ? x.socket() : RELAYED, to, d);
    }

    private static PathAddr d(InetSocketAddress a) {
        return new PathAddr.Direct(a);
    }

    private final List<Sent> fromAlice = new ArrayList<>();
    private final List<PathTable.Peer> switched = new ArrayList<>();
    private final PathTable alicePaths = new PathTable(100);
    private final PathLayer aliceLayer = new PathLayer(alice, alicePaths, CandidateSet.Timings.ofHeartbeat(100 * MS),
            (to, d) -> fromAlice.add(sent(to, d)), (peer, was, c) -> switched.add(peer));

    private PathTable.Peer dialBob() {
        PathTable.Peer peer = alicePaths.forDial(bob.id(), bobAt1);
        peer.users.incrementAndGet();
        aliceLayer.dialing(peer, List.of(bobAt1, bobAt2), d(bobAt1), false);
        return peer;
    }

    /** What bob (or mallory) reads from alice's datagram {@code d}. */
    private static Probe read(byte[] d, LocalIdentity reader, LocalIdentity from) {
        return Probe.decode(d, reader.id(), reader.id().toBytes(), (x, off) -> new Probe.Keyed(from.id(), Probe.mac(reader, from.id()))).probe();
    }

    private Probe ping(int index) {
        return read(fromAlice.get(index).datagram(), bob, alice);
    }

    private static byte[] probe(byte type, LocalIdentity from, LocalIdentity to, long tx, InetSocketAddress a) {
        return Probe.encode(type, tx, from.id(), to.id(), a, Probe.mac(from, to.id()));
    }

    private static byte[] pong(LocalIdentity from, LocalIdentity to, long tx, InetSocketAddress observed) {
        return probe(Probe.PONG, from, to, tx, observed);
    }

    private PathStatus status(PathTable.Peer peer, InetSocketAddress a) {
        return aliceLayer.status(peer).stream().filter(s -> s.remote().equals(AddressText.text(a))).findFirst().orElseThrow();
    }

    @Test
    void aDialProbesEveryCandidateAndAnAnswerValidatesAndSelects() {
        PathTable.Peer peer = dialBob();
        assertThat(fromAlice).extracting(Sent::to).containsExactly(bobAt1, bobAt2);
        Probe p1 = ping(0);
        assertThat(p1.type).isEqualTo(Probe.PING);
        assertThat(p1.address).as("where alice sent it").isEqualTo(bobAt1);
        long t0 = System.nanoTime();
        aliceLayer.onProbe(d(bobAt2), pong(bob, alice, ping(1).tx, aliceAt), t0 + 3 * MS);
        assertThat(status(peer, bobAt2).state()).isEqualTo(PathState.VALID);
        assertThat(status(peer, bobAt2).selected()).isTrue();
        assertThat(peer.real).isEqualTo(d(bobAt2));
        assertThat(switched).containsExactly(peer);
        assertThat(aliceLayer.observedAddresses()).containsExactly(aliceAt);
        assertThat(alicePaths.byReal(bobAt2)).isSameAs(peer);
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.VALIDATING);
    }

    @Test
    void aForgedPongValidatesNothing() {
        PathTable.Peer peer = dialBob();
        byte[] forged = pong(mallory, alice, ping(0).tx, aliceAt);
        System.arraycopy(bob.id().toBytes(), 0, forged, 10, 32);
        aliceLayer.onProbe(d(bobAt1), forged, System.nanoTime());
        // and a pong signed by mallory as herself: no such peer
        aliceLayer.onProbe(d(bobAt1), pong(mallory, alice, ping(0).tx, aliceAt), System.nanoTime());
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.VALIDATING);
        assertThat(aliceLayer.probesDropped.sum()).isEqualTo(2);
        assertThat(switched).isEmpty();
    }

    @Test
    void aReplayedPongValidatesNothing() {
        PathTable.Peer peer = dialBob();
        byte[] answer = pong(bob, alice, ping(0).tx, aliceAt);
        aliceLayer.onProbe(d(bobAt1), answer, System.nanoTime());
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.VALID);
        // the path dies; the old answer, replayed, must not bring it back
        peer.candidates.markInactive(peer.candidates.get(d(bobAt1)));
        aliceLayer.onProbe(d(bobAt1), answer, System.nanoTime());
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.INACTIVE);
        assertThat(aliceLayer.probesDropped.sum()).isEqualTo(1);
    }

    @Test
    void aPongFromAnotherPathValidatesNeither() {
        PathTable.Peer peer = dialBob();
        // bob's genuine answer to the ping sent to bobAt1, but arriving from an address alice never pinged
        InetSocketAddress elsewhere = new InetSocketAddress("198.18.0.66", 6666);
        aliceLayer.onProbe(d(elsewhere), pong(bob, alice, ping(0).tx, aliceAt), System.nanoTime());
        // or from the other candidate (the transaction belongs to the first)
        aliceLayer.onProbe(d(bobAt2), pong(bob, alice, ping(0).tx, aliceAt), System.nanoTime());
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.VALIDATING);
        assertThat(status(peer, bobAt2).state()).isEqualTo(PathState.VALIDATING);
        assertThat(aliceLayer.probesDropped.sum()).isEqualTo(2);
    }

    @Test
    void pingsAreAnsweredAndTheirPathsBecomeCandidatesButReplaysAreDropped() {
        PathTable.Peer peer = dialBob();
        fromAlice.clear();
        InetSocketAddress bobAt3 = new InetSocketAddress("198.18.0.4", 1003);
        byte[] bobsPing = probe(Probe.PING, bob, alice, 555, aliceAt);
        aliceLayer.onProbe(d(bobAt3), bobsPing, System.nanoTime());
        assertThat(fromAlice).hasSize(2);
        Probe answer = read(fromAlice.get(0).datagram(), bob, alice);
        assertThat(fromAlice.get(0).to()).isEqualTo(bobAt3);
        assertThat(answer.type).isEqualTo(Probe.PONG);
        assertThat(answer.tx).isEqualTo(555);
        assertThat(answer.address).as("bob learns how alice sees him").isEqualTo(bobAt3);
        assertThat(fromAlice.get(1).to()).as("alice probes the new path herself").isEqualTo(bobAt3);
        assertThat(status(peer, bobAt3).state()).isEqualTo(PathState.VALIDATING);
        assertThat(alicePaths.byReal(bobAt3)).isSameAs(peer);
        aliceLayer.onProbe(d(bobAt3), bobsPing, System.nanoTime());
        assertThat(fromAlice).as("a replayed ping gets no answer").hasSize(2);
        assertThat(aliceLayer.probesDropped.sum()).isEqualTo(1);
    }

    @Test
    void pingsFromStrangersAreAnsweredWithoutKeepingState() {
        aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, bob, alice, 1, aliceAt), System.nanoTime());
        assertThat(fromAlice).hasSize(1);
        assertThat(alicePaths.size()).isZero();
    }

    @Test
    void aSilentSelectedPathIsLeftForTheOther() {
        PathTable.Peer peer = dialBob();
        long t = System.nanoTime();
        aliceLayer.onProbe(d(bobAt1), pong(bob, alice, ping(0).tx, aliceAt), t + MS);
        aliceLayer.onProbe(d(bobAt2), pong(bob, alice, ping(1).tx, aliceAt), t + 30 * MS);
        assertThat(peer.real).isEqualTo(d(bobAt1));
        // from now on only bobAt2 answers
        for (int step = 1; step <= 10; step++) {
            long now = t + step * 100 * MS;
            int before = fromAlice.size();
            aliceLayer.tick(now);
            for (Sent s : fromAlice.subList(before, fromAlice.size())) {
                if (s.to().equals(bobAt2)) {
                    aliceLayer.onProbe(d(bobAt2), pong(bob, alice, read(s.datagram(), bob, alice).tx, aliceAt), now + 30 * MS);
                }
            }
        }
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.INACTIVE);
        assertThat(peer.real).isEqualTo(d(bobAt2));
        assertThat(aliceLayer.pathSwitches.sum()).isEqualTo(1);
    }

    @Test
    void aBrokenSelectorIsCountedAndKeepsThePath() {
        PathTable.Peer peer = dialBob();
        aliceLayer.selector((c, cur) -> {
            throw new IllegalStateException("boom");
        });
        aliceLayer.onProbe(d(bobAt2), pong(bob, alice, ping(1).tx, aliceAt), System.nanoTime());
        assertThat(peer.real).isEqualTo(d(bobAt1));
        assertThat(aliceLayer.selectorFailures.sum()).isEqualTo(1);
        aliceLayer.selector(null);
        aliceLayer.reselectAll();
        assertThat(peer.real).isEqualTo(d(bobAt2));
    }

    @Test
    void spoofedSourcesSpreadOverOneIpv6Slash64ShareOneBudget() {
        // a spoofer aiming pongs at a victim's /64 (one link) from a new address of it for every ping
        long now = System.nanoTime();
        LocalIdentity stranger = Identities.ephemeral();
        int sent = 1000;
        for (int i = 0; i < sent; i++) {
            InetSocketAddress from = new InetSocketAddress(ipv6("fd53:1:2:3:" + Integer.toHexString(i) + "::" + Integer.toHexString(i + 1)), 4433);
            aliceLayer.onProbe(d(from), probe(Probe.PING, stranger, alice, i, aliceAt), now + i * TimeUnit.MICROSECONDS.toNanos(100));
        }
        assertThat(fromAlice.size()).as("one budget for the /64, not one burst per address")
                .isBetween(PathLayer.STRANGER_BURST, PathLayer.STRANGER_BURST + PathLayer.STRANGER_PER_SECOND);
        // the next /64 is another link, with its own budget
        int before = fromAlice.size();
        aliceLayer.onProbe(d(new InetSocketAddress(ipv6("fd53:1:2:4::1"), 4433)), probe(Probe.PING, stranger, alice, sent, aliceAt),
                now + TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(fromAlice).hasSize(before + 1);
    }

    private static java.net.InetAddress ipv6(String literal) {
        try {
            return java.net.InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void pongsToStrangersAreBudgetedPerSourceAddress() {
        // a stranger (no peer entry) pinging with its own valid key, as a spoofer aiming our pongs at a victim would
        long now = System.nanoTime();
        LocalIdentity stranger = Identities.ephemeral();
        int sent = 1000;
        for (int i = 0; i < sent; i++) {
            aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, stranger, alice, i, aliceAt), now + i * TimeUnit.MILLISECONDS.toNanos(1));
        }
        // one second of pings at 1,000 a second: the burst and one second's refill are answered, the rest dropped
        assertThat(fromAlice.size()).isBetween(PathLayer.STRANGER_BURST, PathLayer.STRANGER_BURST + PathLayer.STRANGER_PER_SECOND + 1);
        assertThat(aliceLayer.strangersLimited.sum()).isEqualTo(sent - fromAlice.size());
        // another source address has its own budget; a peer we know is never limited by it
        int before = fromAlice.size();
        aliceLayer.onProbe(d(bobAt2), probe(Probe.PING, stranger, alice, sent, aliceAt), now + TimeUnit.SECONDS.toNanos(1));
        assertThat(fromAlice).hasSize(before + 1);
        dialBob();
        fromAlice.clear();
        for (int i = 0; i < 100; i++) {
            aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, bob, alice, 10_000 + i, aliceAt), now + TimeUnit.SECONDS.toNanos(1));
        }
        assertThat(fromAlice.stream().filter(s -> s.to().equals(bobAt1) && read(s.datagram(), bob, alice).type == Probe.PONG))
                .as("every ping of a peer we have is answered").hasSize(100);
    }

    @Test
    void theKeyBudgetBoundsKeyAgreementsWithStrangers() {
        long now = System.nanoTime();
        for (int i = 0; i < ProbeKeys.KEYS_PER_SECOND + 50; i++) {
            LocalIdentity stranger = Identities.ephemeral();
            InetSocketAddress from = new InetSocketAddress("198.18." + (i / 250) + "." + (1 + i % 250), 1001); // one each: no source budget hit
            aliceLayer.onProbe(d(from), probe(Probe.PING, stranger, alice, i, aliceAt), now);
        }
        assertThat(fromAlice).as("strangers answered while the budget lasted").hasSize(ProbeKeys.KEYS_PER_SECOND);
        assertThat(aliceLayer.probesDropped.sum()).isEqualTo(50);
        // a known key needs no budget; a second later there is budget for new ones again
        aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, bob, alice, 2, aliceAt), now + TimeUnit.SECONDS.toNanos(1));
        assertThat(fromAlice).hasSize(ProbeKeys.KEYS_PER_SECOND + 1);
    }

    @Test
    void pingsThatCameDuringTheHandshakeBecomeCandidatesOnceThePeerIsKnown() {
        InetSocketAddress bobAt3 = new InetSocketAddress("198.18.0.4", 1003);
        aliceLayer.onProbe(d(bobAt3), probe(Probe.PING, bob, alice, 9, aliceAt), System.nanoTime());
        PathTable.Peer peer = alicePaths.forNewSender(bobAt1);
        alicePaths.identified(peer, bob.id());
        aliceLayer.accepted(peer, d(bobAt1));
        assertThat(aliceLayer.status(peer)).extracting(PathStatus::remote).containsExactly(AddressText.text(bobAt1), AddressText.text(bobAt3));
        assertThat(alicePaths.byReal(bobAt3)).isSameAs(peer);
    }

    @Test
    void noSwitchBeforeTheConnectionIsUp() {
        PathTable.Peer peer = alicePaths.forDial(bob.id(), bobAt1);
        aliceLayer.dialing(peer, List.of(bobAt1, bobAt2), d(bobAt1), false);
        aliceLayer.onProbe(d(bobAt2), pong(bob, alice, ping(1).tx, aliceAt), System.nanoTime());
        assertThat(peer.real).as("the handshake stays on its path").isEqualTo(d(bobAt1));
        peer.users.incrementAndGet();
        aliceLayer.reselect(peer);
        assertThat(peer.real).isEqualTo(d(bobAt2));
    }

    @Test
    void textFormsBracketIpv6() {
        assertThat(AddressText.text(new InetSocketAddress("2001:db8::1", 5))).isEqualTo("[2001:db8::1]:5");
        assertThat(AddressText.text(new InetSocketAddress("198.18.0.1", 5))).isEqualTo("198.18.0.1:5");
        assertThat(AddressText.text(new InetSocketAddress("::1", 5))).isEqualTo("[::1]:5");
        assertThat(AddressText.text(new InetSocketAddress("::", 5))).isEqualTo("[::]:5");
        assertThat(AddressText.text(new InetSocketAddress("fd15:70a:510b::7", 12345))).isEqualTo("[fd15:70a:510b::7]:12345");
        assertThat(AddressText.text(new InetSocketAddress("2001:db8:0:1:0:0:1:0", 5))).as("longest run wins").isEqualTo("[2001:db8:0:1::1:0]:5");
        assertThat(AddressText.text(new InetSocketAddress("2001:db8:1:1:1:1:0:1", 5))).as("one zero group stays").isEqualTo("[2001:db8:1:1:1:1:0:1]:5");
        assertThat(AddressText.text(new InetSocketAddress("1:0:0:1:0:0:0:1", 5))).isEqualTo("[1:0:0:1::1]:5");
    }

    // ------------------------------------------------------------------ hole punching

    /** Alice reaches bob through the relay only (as after a dial by id); her own candidates are {@code own}. */
    private PathTable.Peer relayedBob(List<InetSocketAddress> own) {
        aliceLayer.relayAvailable(true);
        aliceLayer.ownCandidates(() -> own);
        PathTable.Peer peer = alicePaths.forRelaySender(bob.id());
        peer.users.incrementAndGet();
        aliceLayer.dialing(peer, List.of(), peer.relay, true);
        return peer;
    }

    private List<Probe.Call> callsTo(LocalIdentity reader, PathTable.Peer peer) {
        List<Probe.Call> calls = new ArrayList<>();
        for (Sent s : fromAlice) {
            if (s.path().equals(peer.relay) && Probe.isCallMeMaybe(s.datagram())) {
                calls.add(Probe.decodeCallMeMaybe(s.datagram(), reader.id().toBytes(),
                        (x, off) -> new Probe.Keyed(alice.id(), Probe.mac(reader, alice.id()))).call());
            }
        }
        return calls;
    }

    @Test
    void aRelayedPeerIsCalledInBoundedRoundsWithOurCandidates() {
        PathTable.Peer peer = relayedBob(List.of(aliceAt, new InetSocketAddress("127.0.0.1", 1000)));
        long t = System.nanoTime();
        for (int i = 0; i < 600; i++) { // a minute of ticks
            aliceLayer.tick(t + i * 100 * MS);
        }
        List<Probe.Call> calls = callsTo(bob, peer);
        assertThat(calls).as("one call per round, then no more").hasSize(HolePunching.CALL_ROUNDS);
        assertThat(calls.get(0).addresses()).as("loopback is not announced").containsExactly(aliceAt);
        assertThat(calls).extracting(Probe.Call::tx).doesNotHaveDuplicates();
    }

    @Test
    void aCallMakesItsAddressesCandidatesProbedAtOnceAndIsAnsweredOnce() {
        PathTable.Peer peer = relayedBob(List.of(aliceAt));
        fromAlice.clear();
        long now = System.nanoTime();
        byte[] call = Probe.encodeCallMeMaybe(77, bob.id(), alice.id(), List.of(bobAt1, bobAt2), Probe.mac(bob, alice.id()));
        aliceLayer.onControl(peer.relay, call, now);
        assertThat(fromAlice).extracting(Sent::path).as("pings to both, and alice's own call back through the relay")
                .containsExactlyInAnyOrder(d(bobAt1), d(bobAt2), peer.relay);
        assertThat(callsTo(bob, peer)).singleElement().satisfies(c -> assertThat(c.addresses()).containsExactly(aliceAt));
        // the same call again (replayed through the relay): ignored
        aliceLayer.onControl(peer.relay, call, now + MS);
        assertThat(fromAlice).hasSize(3);
        // a call straight from the internet, or signed by someone else: dropped
        aliceLayer.onControl(d(bobAt1), Probe.encodeCallMeMaybe(78, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(bob, alice.id())), now);
        byte[] forged = Probe.encodeCallMeMaybe(79, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(mallory, alice.id()));
        aliceLayer.onControl(peer.relay, forged, now);
        assertThat(fromAlice).hasSize(3);
        assertThat(aliceLayer.probesDropped.sum()).isEqualTo(3);
    }

    @Test
    void punchingAPathThatNeverAnswersStopsAfterItsBudgetUntilCalledAgain() {
        PathTable.Peer peer = relayedBob(List.of(aliceAt));
        long t = System.nanoTime();
        aliceLayer.onControl(peer.relay, Probe.encodeCallMeMaybe(1, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(bob, alice.id())), t);
        for (int i = 1; i <= 3000; i++) { // five minutes of 100 ms ticks (heartbeat here: 100 ms)
            aliceLayer.tick(t + i * 100 * MS);
        }
        long toBob = fromAlice.stream().filter(s -> s.to().equals(bobAt1)).count();
        assertThat(toBob).as("attempts before unusable plus the retries").isEqualTo(CandidateSet.ATTEMPTS_BEFORE_UNUSABLE + CandidateSet.RETRIES_WHEN_UNUSABLE);
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.UNUSABLE);
        // bob calls again (say his NAT changed): a fresh budget
        fromAlice.clear();
        aliceLayer.onControl(peer.relay, Probe.encodeCallMeMaybe(2, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(bob, alice.id())),
                t + 3001 * 100 * MS);
        assertThat(fromAlice).extracting(Sent::to).contains(bobAt1);
    }

    @Test
    void aPingFromAPathStillBeingPunchedIsAnsweredWithAPingAtOnce() {
        PathTable.Peer peer = relayedBob(List.of(aliceAt));
        List<Long> attemptsAndSuccesses = new ArrayList<>();
        aliceLayer.punches(new HolePunching.Punches() {
            @Override
            public void attempt() {
                attemptsAndSuccesses.add(-1L);
            }

            @Override
            public void success(long timeToDirectNanos) {
                attemptsAndSuccesses.add(timeToDirectNanos);
            }
        });
        long t = System.nanoTime();
        aliceLayer.tick(t - 40 * MS); // the first call round: punching begins
        aliceLayer.onControl(peer.relay, Probe.encodeCallMeMaybe(1, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(bob, alice.id())), t);
        fromAlice.clear();
        // alice's first ping was lost in bob's NAT; bob's ping gets through: alice pings back right away
        aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, bob, alice, 42, aliceAt), t + 150 * MS);
        List<Sent> toBob = fromAlice.stream().filter(x -> x.to().equals(bobAt1)).toList();
        assertThat(toBob).as("the pong, then alice's own ping").hasSize(2);
        Probe back = read(toBob.get(1).datagram(), bob, alice);
        assertThat(back.type).isEqualTo(Probe.PING);
        aliceLayer.onProbe(d(bobAt1), pong(bob, alice, back.tx, aliceAt), t + 160 * MS);
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.VALID);
        assertThat(peer.real).as("direct beats the relay").isEqualTo(d(bobAt1));
        aliceLayer.tick(t + 200 * MS);
        assertThat(attemptsAndSuccesses).as("one attempt, one success 200 ms after it began").containsExactly(-1L, 200 * MS);
    }

    /** A peer bob reached through the relay, alice's first call round out at {@code t} - 40 ms, bob's call naming bobAt1 in at {@code t}. */
    private PathTable.Peer calledByBobAt1(long t) {
        PathTable.Peer peer = relayedBob(List.of(aliceAt));
        aliceLayer.tick(t - 40 * MS);
        aliceLayer.onControl(peer.relay, Probe.encodeCallMeMaybe(1, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(bob, alice.id())), t);
        return peer;
    }

    @Test
    void pingsFromAPathStillBeingPunchedArePingedBackOncePerGapNotOneForOne() {
        long t = System.nanoTime();
        PathTable.Peer peer = calledByBobAt1(t);
        fromAlice.clear();
        // 50 of bob's pings get through within 50 ms (birthday punching's hits, or bob pinging back each of ours):
        // each is answered, but alice pings back once; answering every ping with a ping kept two nodes at it for good
        for (int i = 0; i < 50; i++) {
            aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, bob, alice, 1000 + i, aliceAt), t + (150 + i) * MS);
        }
        List<Probe> toBob = fromAlice.stream().filter(x -> x.to().equals(bobAt1)).map(x -> read(x.datagram(), bob, alice)).toList();
        assertThat(toBob.stream().filter(p -> p.type == Probe.PONG)).as("every ping answered").hasSize(50);
        assertThat(toBob.stream().filter(p -> p.type == Probe.PING)).as("pinged back once").hasSize(1);
        // a gap later, a ping that gets through is pinged back again; its answer validates the path
        fromAlice.clear();
        long later = t + 150 * MS + CandidateSet.PUNCH_BACK_GAP_NANOS;
        aliceLayer.onProbe(d(bobAt1), probe(Probe.PING, bob, alice, 2000, aliceAt), later);
        List<Probe> again = fromAlice.stream().filter(x -> x.to().equals(bobAt1)).map(x -> read(x.datagram(), bob, alice))
                .filter(p -> p.type == Probe.PING).toList();
        assertThat(again).hasSize(1);
        aliceLayer.onProbe(d(bobAt1), pong(bob, alice, again.get(0).tx, aliceAt), later + MS);
        assertThat(status(peer, bobAt1).state()).isEqualTo(PathState.VALID);
    }

    @Test
    void aDirectPathWhoseQuicGoesUnansweredIsProbedAtOnceAndLeftOnlyIfTheProbeIsNotAnsweredEither() {
        // the default probe timings: without the silence a dead path would be left after 6.5 s
        List<Sent> out = new ArrayList<>();
        PathTable table = new PathTable(100);
        PathLayer layer = new PathLayer(alice, table, CandidateSet.Timings.DEFAULT, (to, d) -> out.add(sent(to, d)), (peer, was, c) -> { });
        List<Long> stunAsked = new ArrayList<>();
        layer.silenceSeen(() -> stunAsked.add(1L));
        PathTable.Peer peer = table.forDial(bob.id(), bobAt1);
        peer.users.incrementAndGet();
        layer.dialing(peer, List.of(bobAt1), d(bobAt1), false);
        long t = System.nanoTime();
        layer.onProbe(d(bobAt1), pong(bob, alice, read(out.get(0).datagram(), bob, alice).tx, aliceAt), t);
        Candidate<PathAddr> c = peer.candidates.get(d(bobAt1));
        assertThat(c.state()).isEqualTo(PathState.VALID);
        long silence = PathLayer.silenceNanos(c);

        // QUIC sent at t + 1 s (a transfer starts after a pause), answered within the silence: nothing happens
        peer.quicUnansweredSinceNanos = t + TimeUnit.SECONDS.toNanos(1);
        layer.tick(t + TimeUnit.SECONDS.toNanos(1) + silence - MS);
        peer.quicUnansweredSinceNanos = 0; // the router heard from bob
        layer.tick(t + TimeUnit.SECONDS.toNanos(1) + silence + MS);
        assertThat(layer.silentPaths.sum()).isZero();

        // then QUIC sent at t2 goes unanswered: in doubt one silence later, probed at once, STUN asked
        long t2 = t + TimeUnit.MILLISECONDS.toNanos(1500); // before the next heartbeat probe (t + 2 s)
        peer.quicUnansweredSinceNanos = t2;
        out.clear();
        layer.tick(t2 + silence - MS);
        assertThat(layer.silentPaths.sum()).isZero();
        layer.tick(t2 + silence + MS);
        assertThat(layer.silentPaths.sum()).isEqualTo(1);
        assertThat(stunAsked).hasSize(1);
        List<Probe> probes = out.stream().filter(x -> x.to().equals(bobAt1)).map(x -> read(x.datagram(), bob, alice)).toList();
        assertThat(probes).hasSize(1);
        // a collecting peer answers late, but within twice the silence: the path stays
        layer.onProbe(d(bobAt1), pong(bob, alice, probes.get(0).tx, aliceAt), t2 + 2 * silence);
        peer.quicUnansweredSinceNanos = 0; // and its QUIC came too
        layer.tick(t2 + 4 * silence);
        assertThat(layer.silentPaths.sum()).isEqualTo(1);
        assertThat(c.state()).isEqualTo(PathState.VALID);
        assertThat(peer.real).isEqualTo(d(bobAt1));

        // a dead one: nothing answers; left twice the silence after the doubt, seconds before the path timeout would
        long t3 = t2 + TimeUnit.SECONDS.toNanos(1);
        peer.quicUnansweredSinceNanos = t3;
        layer.tick(t3 + silence + MS);
        assertThat(layer.silentPaths.sum()).isEqualTo(2);
        layer.tick(t3 + 3 * silence);
        assertThat(c.state()).isEqualTo(PathState.VALID);
        layer.tick(t3 + 3 * silence + 2 * MS);
        assertThat(c.state()).isEqualTo(PathState.INACTIVE);
    }

    @Test
    void whileTheSelectedDirectPathIsInDoubtThePeerIsCalledAgainWithOurAddresses() {
        long t = System.nanoTime();
        PathTable.Peer peer = calledByBobAt1(t);
        Probe ping = fromAlice.stream().filter(x -> x.to().equals(bobAt1)).map(x -> read(x.datagram(), bob, alice)).findFirst().orElseThrow();
        aliceLayer.onProbe(d(bobAt1), pong(bob, alice, ping.tx, aliceAt), t + 2 * MS);
        assertThat(peer.real).isEqualTo(d(bobAt1));
        aliceLayer.tick(t + 5 * MS);
        fromAlice.clear();
        aliceLayer.tick(t + 10 * MS);
        assertThat(callsTo(bob, peer)).as("a working direct path: no calls").isEmpty();
        // our QUIC on it goes unanswered (our NAT mapped us anew, say): in doubt, and bob hears from us at once
        peer.quicUnansweredSinceNanos = t + 10 * MS;
        long doubt = t + 10 * MS + PathLayer.silenceNanos(peer.candidates.get(d(bobAt1))) + MS;
        aliceLayer.tick(doubt);
        assertThat(aliceLayer.silentPaths.sum()).isEqualTo(1);
        assertThat(callsTo(bob, peer)).as("a call round with our addresses").hasSize(1);
    }

    // ------------------------------------------------------------------ birthday punching

    private final List<List<InetSocketAddress>> fanned = new ArrayList<>();

    private PathTable.Peer birthdayPeer(int ownFlags) {
        aliceLayer.ownFlags(() -> ownFlags);
        aliceLayer.fan((peer, targets) -> fanned.add(targets));
        PathTable.Peer peer = relayedBob(List.of(aliceAt));
        fromAlice.clear();
        return peer;
    }

    /** Bob's call to alice. */
    private byte[] call(long tx, int flags, InetSocketAddress... at) {
        return Probe.encodeCallMeMaybe(tx, bob.id(), alice.id(), List.of(at), flags, Probe.mac(bob, alice.id()));
    }

    private long sprayTo(InetSocketAddress ipOf) {
        return fromAlice.stream().filter(s -> s.to().getAddress().equals(ipOf.getAddress()) && !s.to().equals(ipOf)).count();
    }

    @Test
    void theEasySideSpraysABoundedNumberOfProbesAtAHardPeer() {
        PathTable.Peer peer = birthdayPeer(Probe.FLAG_NATED);
        long t = System.nanoTime();
        aliceLayer.tick(t - MS); // alice's first call round: bob's call answers it
        fromAlice.clear();
        aliceLayer.onControl(peer.relay, call(1, Probe.FLAG_HARD | Probe.FLAG_NATED, bobAt1), t);
        for (int i = 1; i <= 100; i++) {
            aliceLayer.tick(t + i * 100 * MS);
        }
        // a second call (the next round) sprays once more; a third does not
        aliceLayer.onControl(peer.relay, call(2, Probe.FLAG_HARD | Probe.FLAG_NATED, bobAt1), t + 101 * 100 * MS);
        for (int i = 102; i <= 200; i++) {
            aliceLayer.tick(t + i * 100 * MS);
        }
        aliceLayer.onControl(peer.relay, call(3, Probe.FLAG_HARD | Probe.FLAG_NATED, bobAt1), t + 201 * 100 * MS);
        for (int i = 202; i <= 300; i++) {
            aliceLayer.tick(t + i * 100 * MS);
        }
        assertThat(sprayTo(bobAt1)).isBetween((long) HolePunching.BIRTHDAY_ROUNDS * HolePunching.SPRAY_PROBES - 10,
                (long) HolePunching.BIRTHDAY_ROUNDS * HolePunching.SPRAY_PROBES);
        assertThat(aliceLayer.punching.sprayed.sum()).isEqualTo(HolePunching.BIRTHDAY_ROUNDS * HolePunching.SPRAY_PROBES);
        assertThat(fromAlice).filteredOn(s -> s.path() instanceof PathAddr.Direct).isNotEmpty()
                .allSatisfy(s -> assertThat(s.to().getPort()).isBetween(1, 65535));
        assertThat(fanned).isEmpty();
    }

    @Test
    void theHardSideFansOutAndNobodyBirthdaysWhenPlainPunchingCanWork() {
        PathTable.Peer peer = birthdayPeer(Probe.FLAG_HARD | Probe.FLAG_NATED);
        long t = System.nanoTime();
        aliceLayer.tick(t - MS); // alice's first call round: bob's call answers it
        aliceLayer.onControl(peer.relay, call(1, Probe.FLAG_NATED, bobAt1, bobAt2), t);
        assertThat(fanned).containsExactly(List.of(bobAt1, bobAt2));
        assertThat(aliceLayer.punching.sprayed.sum()).isZero();
        // both hard: no birthday (it cannot work), and a public peer needs none
        aliceLayer.onControl(peer.relay, call(2, Probe.FLAG_HARD | Probe.FLAG_NATED, bobAt1), t + MS);
        aliceLayer.onControl(peer.relay, call(3, 0, bobAt1), t + 2 * MS);
        assertThat(fanned).hasSize(1);
        assertThat(aliceLayer.punching.sprayed.sum()).isZero();
    }

    /**
     * A call that asks for birthday punching while we are not punching toward its peer (our rounds are over and no
     * call of ours is out: a peer calling out of turn, or an attacker naming a victim) gets its addresses probed like
     * any hint, and nothing sprayed at them.
     */
    @Test
    void aCallWeDidNotAskForNeverStartsBirthdayPunching() {
        PathTable.Peer peer = birthdayPeer(Probe.FLAG_NATED);
        long t = System.nanoTime();
        peer.callRounds = HolePunching.CALL_ROUNDS; // alice's punching rounds toward bob are over
        peer.callSentNanos = 0; // and no call of hers is out
        aliceLayer.onControl(peer.relay, call(1, Probe.FLAG_HARD | Probe.FLAG_NATED, bobAt1), t);
        for (int i = 1; i <= 50; i++) {
            aliceLayer.tick(t + i * 100 * MS);
        }
        assertThat(aliceLayer.punching.sprayed.sum()).as("nothing sprayed").isZero();
        assertThat(aliceLayer.punching.birthdaysUnasked.sum()).isEqualTo(1);
        assertThat(fromAlice.stream().filter(s -> s.to().equals(bobAt1))).as("the named address itself is probed").isNotEmpty();
        // once alice calls (her punching round), bob's answer starts the birthday round
        long later = t + 51 * 100 * MS;
        aliceLayer.tick(later);
        peer.callSentNanos = later;
        aliceLayer.onControl(peer.relay, call(2, Probe.FLAG_HARD | Probe.FLAG_NATED, bobAt1), later + MS);
        aliceLayer.tick(later + 100 * MS);
        assertThat(aliceLayer.punching.sprayed.sum()).isPositive();
    }

    /** A peer whose periodic work throws is skipped and counted; every other peer is still probed, tick after tick. */
    @Test
    void onePeersFailureNeverStopsTheTickForTheOthers() {
        InetSocketAddress carolAt = new InetSocketAddress("198.18.0.9", 1009);
        LocalIdentity carol = Identities.ephemeral();
        java.util.concurrent.atomic.AtomicBoolean poisoned = new java.util.concurrent.atomic.AtomicBoolean();
        List<InetSocketAddress> sent = new ArrayList<>();
        PathTable table = new PathTable(100);
        PathLayer layer = new PathLayer(alice, table, CandidateSet.Timings.ofHeartbeat(100 * MS), (to, d) -> {
            if (poisoned.get() && to.equals(d(bobAt1))) {
                throw new IllegalStateException("this peer's work fails");
            }
            sent.add(((PathAddr.Direct) to).socket());
        }, (peer, was, c) -> { });
        PathTable.Peer b = table.forDial(bob.id(), bobAt1);
        b.users.incrementAndGet();
        layer.dialing(b, List.of(bobAt1), d(bobAt1), false);
        PathTable.Peer c = table.forDial(carol.id(), carolAt);
        c.users.incrementAndGet();
        layer.dialing(c, List.of(carolAt), d(carolAt), false);
        poisoned.set(true);
        long t = System.nanoTime();
        for (int tick = 1; tick <= 3; tick++) {
            sent.clear();
            t += 300 * MS; // past the retry interval: both are due
            layer.tick(t);
            assertThat(sent).as("tick %d: carol still probed", tick).contains(carolAt);
        }
        assertThat(layer.tickFailures.sum()).isEqualTo(3);
    }

    /**
     * A peer connected through the relay that sends call after call, each naming 16 addresses (the attack that made
     * a node send 3,216 datagrams to victims for 200 calls): only its budget of calls is acted on.
     */
    @Test
    void callsBeyondAPeersBudgetAreNotActedOn() {
        PathTable.Peer peer = relayedBob(List.of(aliceAt));
        fromAlice.clear();
        long t = System.nanoTime();
        int calls = 200;
        long bytesIn = 0;
        for (int i = 0; i < calls; i++) {
            List<InetSocketAddress> victims = new ArrayList<>();
            for (int k = 0; k < Probe.MAX_CALL_ADDRESSES; k++) {
                victims.add(new InetSocketAddress("198.18.100." + (i % 250), 1000 + k));
            }
            byte[] call = Probe.encodeCallMeMaybe(1000 + i, bob.id(), alice.id(), victims, Probe.mac(bob, alice.id()));
            bytesIn += call.length;
            aliceLayer.onControl(peer.relay, call, t + i * MS);
        }
        long toVictims = fromAlice.stream().filter(s -> s.to().getAddress().getHostAddress().startsWith("198.18.100.")).count();
        long bytesOut = fromAlice.stream().filter(s -> s.to().getAddress().getHostAddress().startsWith("198.18.100."))
                .mapToLong(s -> s.datagram().length).sum();
        System.out.printf("200 calls (%d bytes) drew %d datagrams (%d bytes) to the named addresses%n", bytesIn, toVictims, bytesOut);
        assertThat(toVictims).as("probes for the first %d calls only", HolePunching.CALL_BURST)
                .isLessThanOrEqualTo((long) HolePunching.CALL_BURST * Probe.MAX_CALL_ADDRESSES);
        assertThat(aliceLayer.punching.callsRefused.sum()).isEqualTo(calls - HolePunching.CALL_BURST);
        // the budget refills slowly: one more call acted on after 5 s
        fromAlice.clear();
        aliceLayer.onControl(peer.relay, Probe.encodeCallMeMaybe(5000, bob.id(), alice.id(), List.of(bobAt1), Probe.mac(bob, alice.id())),
                t + 200 * MS + HolePunching.CALL_REFILL_NANOS);
        assertThat(fromAlice).extracting(Sent::to).contains(bobAt1);
    }

    /**
     * The worst one malicious peer, and a crowd of 100, can do in a minute (the figures the README states): each
     * connected through the relay, sending calls every 100 ms for 60 s, every call naming 16 fresh addresses that
     * never answer and asking for a birthday round. Default probe timings; time moves by the ticker. Counts the
     * datagrams and bytes the node sends to those addresses.
     */
    @Test
    void whatOneMinuteOfMaliciousCallsCanMakeTheNodeSend() {
        long[] one = minuteOfMaliciousCalls(1);
        long[] crowd = minuteOfMaliciousCalls(100);
        assertThat(one[0]).as("one peer: the README's bound, 3,000 datagrams a minute").isLessThanOrEqualTo(3_000);
        assertThat(crowd[0]).as("100 peers: the README's bound, 20,000 datagrams a minute").isLessThanOrEqualTo(20_000);
        assertThat((double) crowd[1] / crowd[2]).as("bytes sent / bytes the attackers sent").isLessThan(0.5);
    }

    /** Runs the minute for {@code n} peers; returns datagrams and bytes to the victims, and bytes the attackers sent. */
    private long[] minuteOfMaliciousCalls(int n) {
        List<Sent> out = new ArrayList<>();
        PathTable table = new PathTable(1000);
        PathLayer layer = new PathLayer(alice, table, CandidateSet.Timings.DEFAULT, (to, d) -> out.add(sent(to, d)), (p, was, c) -> { });
        layer.relayAvailable(true);
        layer.ownCandidates(() -> List.of(aliceAt));
        layer.ownFlags(() -> Probe.FLAG_NATED);
        long t = System.nanoTime();
        List<LocalIdentity> keys = new ArrayList<>();
        List<PathTable.Peer> peers = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            LocalIdentity m = Identities.ephemeral();
            PathTable.Peer p = table.forRelaySender(m.id());
            p.users.incrementAndGet();
            layer.dialing(p, List.of(), p.relay, true);
            keys.add(m);
            peers.add(p);
        }
        out.clear();
        long bytesIn = 0;
        int victim = 0;
        for (int ms = 0; ms < 60_000; ms += 100) { // every peer calls every 100 ms
            for (int k = 0; k < peers.size(); k++) {
                List<InetSocketAddress> named = new ArrayList<>();
                for (int a = 0; a < Probe.MAX_CALL_ADDRESSES; a++, victim++) {
                    named.add(new InetSocketAddress("198.19." + (victim / 250 % 250) + "." + (1 + victim % 250), 1000 + victim % 60000));
                }
                byte[] call = Probe.encodeCallMeMaybe(ms * 1000L + k, keys.get(k).id(), alice.id(), named,
                        Probe.FLAG_HARD | Probe.FLAG_NATED, Probe.mac(keys.get(k), alice.id()));
                bytesIn += call.length;
                layer.onControl(peers.get(k).relay, call, t + ms * MS);
            }
            layer.tick(t + ms * MS);
        }
        List<Sent> toVictims = out.stream().filter(s -> s.to().getAddress().getHostAddress().startsWith("198.19.")).toList();
        long bytesOut = toVictims.stream().mapToLong(s -> s.datagram().length).sum();
        System.out.printf("one minute of calls from %d malicious peer(s) (%d calls, %d bytes): %d datagrams, %d bytes"
                + " (%d UDP payload bytes a second) to addresses that never answered; %d calls refused, %d probes sprayed%n",
                n, 600L * n, bytesIn, toVictims.size(), bytesOut, bytesOut / 60, layer.punching.callsRefused.sum(), layer.punching.sprayed.sum());
        return new long[] {toVictims.size(), bytesOut, bytesIn};
    }

    /** Ten throwaway keys, each connected through the relay and asking for a birthday round: the node does 4 a minute. */
    @Test
    void birthdayRoundsAreBudgetedForTheWholeNodeNotPerPeer() {
        aliceLayer.ownFlags(() -> Probe.FLAG_NATED);
        aliceLayer.relayAvailable(true);
        aliceLayer.ownCandidates(() -> List.of(aliceAt));
        long t = System.nanoTime();
        for (int k = 0; k < 10; k++) {
            LocalIdentity stranger = Identities.ephemeral();
            PathTable.Peer p = alicePaths.forRelaySender(stranger.id());
            p.users.incrementAndGet();
            aliceLayer.dialing(p, List.of(), p.relay, true);
            aliceLayer.tick(t - MS); // alice calls each (a relayed peer with no direct path): its call answers alice's
            InetSocketAddress victim = new InetSocketAddress("198.18.200." + k, 4000);
            aliceLayer.onControl(p.relay, Probe.encodeCallMeMaybe(1, stranger.id(), alice.id(), List.of(victim),
                    Probe.FLAG_HARD | Probe.FLAG_NATED, Probe.mac(stranger, alice.id())), t + k * MS);
        }
        for (int i = 1; i <= 100; i++) {
            aliceLayer.tick(t + i * 100 * MS);
        }
        assertThat(aliceLayer.punching.sprayed.sum()).isEqualTo((long) HolePunching.BIRTHDAYS_PER_MINUTE * HolePunching.SPRAY_PROBES);
        assertThat(aliceLayer.punching.birthdaysRefused.sum()).isEqualTo(10 - HolePunching.BIRTHDAYS_PER_MINUTE);
    }
}
