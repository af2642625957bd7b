package org.quiver.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.protocol.RelayFrame;

/** The relay's rules, driven frame by frame as the network adapter would drive them. */
class RelayCoreTest {
    /** The name this relay core answers to. */
    private static final String RELAY = "relay.test:3340";
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    /** The network side of a session: records wakes and the close. */
    private static final class Conn implements RelayCore.Transport {
        volatile String closedBecause;
        RelayCore.Session session;
        /** The client asked for segmented frames. */
        boolean segments;

        @Override
        public boolean segments() {
            return segments;
        }

        @Override
        public void wake() {
        }

        @Override
        public void close(String reason) {
            closedBecause = reason;
        }

        List<RelayFrame> drain() {
            List<RelayFrame> out = new ArrayList<>();
            for (RelayFrame f; (f = session.poll()) != null; ) {
                out.add(f);
            }
            return out;
        }
    }

    private RelayCore relay(RelayCore.Limits limits) {
        return new RelayCore(limits, clock::get, RELAY::equals);
    }

    private static Conn open(RelayCore relay) {
        return open(relay, false);
    }

    private static Conn open(RelayCore relay, boolean segments) {
        Conn c = new Conn();
        c.segments = segments;
        c.session = relay.open(c);
        return c;
    }

    /** Opens a session and authenticates it as {@code who}. */
    private static Conn login(RelayCore relay, LocalIdentity who) {
        return login(relay, who, false);
    }

    /** Opens a session of a client that asked for segmented frames, or not, and authenticates it as {@code who}. */
    private static Conn login(RelayCore relay, LocalIdentity who, boolean segments) {
        Conn c = open(relay, segments);
        RelayFrame.ServerChallenge challenge = (RelayFrame.ServerChallenge) c.session.poll();
        c.session.received(new RelayFrame.ClientAuth(who.id(), RELAY, who.sign(RelayFrame.ClientAuth.signedMessage(challenge.challenge(), RELAY))));
        assertThat(c.drain()).containsExactly(new RelayFrame.ServerConfirmsAuth(segments ? RelayFrame.FEATURE_SEGMENTS : 0));
        return c;
    }

    /** {@code count} datagrams of {@code size} bytes, the last {@code last} bytes, each filled with its index. */
    private static byte[] burst(int count, int size, int last) {
        byte[] b = new byte[(count - 1) * size + last];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i / size);
        }
        return b;
    }

    @Test
    void aBurstGoesOnAsOneFrameToAClientThatTakesThemAndCutToOneThatDoesNot() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        LocalIdentity carol = Identities.ephemeral();
        Conn a = login(relay, alice, true);
        Conn b = login(relay, bob, true);
        Conn c = login(relay, carol, false);
        byte[] data = burst(5, 1200, 700);
        a.session.received(new RelayFrame.ClientToRelayDatagrams(bob.id(), (byte) 2, 1200, data));
        assertThat(b.drain()).containsExactly(new RelayFrame.RelayToClientDatagrams(alice.id(), (byte) 2, 1200, data));
        a.session.received(new RelayFrame.ClientToRelayDatagrams(carol.id(), (byte) 2, 1200, data));
        List<RelayFrame> cut = c.drain();
        assertThat(cut).hasSize(5);
        for (int i = 0; i < 5; i++) {
            byte[] one = new byte[i < 4 ? 1200 : 700];
            java.util.Arrays.fill(one, (byte) i);
            assertThat(cut.get(i)).isEqualTo(new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 2, one));
        }
        assertThat(relay.stats().forwarded()).as("counted as the datagrams they hold").isEqualTo(10);
        assertThat(relay.segmentedFrames()).isEqualTo(2);
        assertThat(a.closedBecause).isNull();
    }

    @Test
    void aClientThatDidNotAskForSegmentedFramesMayNotSendThem() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn a = login(relay, alice, false);
        Conn b = login(relay, bob, true);
        a.session.received(new RelayFrame.ClientToRelayDatagrams(bob.id(), (byte) 0, 100, burst(3, 100, 100)));
        assertThat(a.closedBecause).contains("did not ask");
        assertThat(b.drain()).isEmpty();
        assertThat(relay.stats().forwarded()).isZero();
    }

    @Test
    void aBurstCountsInTheReceiversQueueAsTheDatagramsItHolds() {
        RelayCore relay = relay(new RelayCore.Limits(100, 100, 1L << 40, 1L << 40));
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn a = login(relay, alice, true);
        Conn b = login(relay, bob, true);
        for (int i = 0; i < 5; i++) { // 5 x 40 datagrams towards a queue of 100: the oldest bursts go
            byte[] data = burst(40, 100, 100);
            data[0] = (byte) (100 + i);
            a.session.received(new RelayFrame.ClientToRelayDatagrams(bob.id(), (byte) 0, 100, data));
        }
        assertThat(b.session.queued()).isEqualTo(80);
        assertThat(relay.stats().dropped()).isEqualTo(120);
        List<RelayFrame> left = b.drain();
        assertThat(left).hasSize(2).allSatisfy(f -> assertThat(f).isInstanceOf(RelayFrame.RelayToClientDatagrams.class));
        assertThat(((RelayFrame.RelayToClientDatagrams) left.get(0)).datagrams()[0]).as("the newest two stayed").isEqualTo((byte) 103);
        assertThat(b.session.queued()).isZero();
        // a single datagram still fits beside bursts, and takes the oldest burst's place when full
        for (int i = 0; i < 2; i++) {
            a.session.received(new RelayFrame.ClientToRelayDatagrams(bob.id(), (byte) 0, 100, burst(50, 100, 100)));
        }
        a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[] {1}));
        assertThat(b.session.queued()).isEqualTo(51);
        assertThat(relay.stats().dropped()).isEqualTo(170);
    }

    @Test
    void authenticatedClientsExchangeDatagramsTaggedWithTheSender() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn a = login(relay, alice);
        Conn b = login(relay, bob);
        a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 1, new byte[] {7, 8}));
        assertThat(b.drain()).containsExactly(new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 1, new byte[] {7, 8}));
        a.session.received(new RelayFrame.Ping(42));
        assertThat(a.drain()).containsExactly(new RelayFrame.Pong(42));
        assertThat(relay.stats()).isEqualTo(new RelayCore.Stats(2, 2, 1, 0, 0));
        assertThat(a.session.id()).isEqualTo(alice.id());
        assertThat(a.session.toString()).contains(alice.id().shortString());
    }

    @Test
    void anUnauthenticatedClientCanNeitherSendNorReceive() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity bob = Identities.ephemeral();
        Conn b = login(relay, bob);
        Conn mallory = open(relay);
        mallory.drain();
        mallory.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[] {1}));
        assertThat(mallory.closedBecause).contains("must authenticate");
        assertThat(b.drain()).isEmpty();
        assertThat(relay.stats().refused()).isEqualTo(1);
        assertThat(relay.stats().sessions()).isEqualTo(1);
        assertThat(mallory.session.toString()).contains("unauthenticated");
    }

    @Test
    void aBadOrReplayedSignatureIsDeniedAndClosed() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity mallory = Identities.ephemeral();
        // mallory claims alice's id with her own signature
        Conn m = open(relay);
        RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) m.session.poll();
        m.session.received(new RelayFrame.ClientAuth(alice.id(), RELAY, mallory.sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), RELAY))));
        assertThat(m.drain()).singleElement().isInstanceOf(RelayFrame.ServerDeniesAuth.class);
        assertThat(m.closedBecause).contains("bad signature");
        // alice's genuine answer to one challenge, replayed on another session
        Conn first = open(relay);
        RelayFrame.ServerChallenge c1 = (RelayFrame.ServerChallenge) first.session.poll();
        RelayFrame.ClientAuth answer = new RelayFrame.ClientAuth(alice.id(), RELAY, alice.sign(RelayFrame.ClientAuth.signedMessage(c1.challenge(), RELAY)));
        Conn replay = open(relay);
        replay.session.poll();
        replay.session.received(answer);
        assertThat(replay.closedBecause).contains("bad signature");
        assertThat(relay.stats().authenticated()).isZero();
        m.session.received(new RelayFrame.ClientToRelayDatagram(alice.id(), (byte) 0, new byte[] {1}));
        assertThat(relay.stats().forwarded()).as("a closed session forwards nothing").isZero();
    }

    @Test
    void anUnknownDestinationIsGone() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        Conn a = login(relay, Identities.ephemeral());
        var nobody = Identities.ephemeral().id();
        a.session.received(new RelayFrame.ClientToRelayDatagram(nobody, (byte) 0, new byte[] {1}));
        assertThat(a.drain()).containsExactly(new RelayFrame.EndpointGone(nobody));
    }

    @Test
    void aSecondConnectionOfAnIdReplacesTheFirst() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn old = login(relay, alice);
        Conn b = login(relay, bob);
        Conn fresh = login(relay, alice);
        assertThat(old.drain()).as("told before it is closed").containsExactly(new RelayFrame.Status(true, false));
        assertThat(old.closedBecause).contains("replaced");
        b.session.received(new RelayFrame.ClientToRelayDatagram(alice.id(), (byte) 0, new byte[] {5}));
        assertThat(fresh.drain()).hasSize(1);
        old.session.closed(); // the adapter reports the close later: the new session stays registered
        b.session.received(new RelayFrame.ClientToRelayDatagram(alice.id(), (byte) 0, new byte[] {6}));
        assertThat(fresh.drain()).hasSize(1);
        assertThat(relay.stats().sessions()).isEqualTo(2);
    }

    @Test
    void aSlowClientLosesItsOldestDatagramsNotControlFrames() {
        RelayCore relay = relay(new RelayCore.Limits(100, 8, 1L << 30, 1L << 30));
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn a = login(relay, alice);
        Conn b = login(relay, bob);
        b.session.received(new RelayFrame.Ping(1)); // a control frame waiting in bob's queue
        for (int i = 0; i < 20; i++) {
            a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[] {(byte) i}));
        }
        assertThat(b.session.queued()).as("8 datagrams and the pong, which has a queue of its own").isEqualTo(9);
        List<RelayFrame> got = b.drain();
        assertThat(got.get(0)).isEqualTo(new RelayFrame.Pong(1));
        assertThat(got.subList(1, 9)).extracting(f -> ((RelayFrame.RelayToClientDatagram) f).datagram()[0])
                .containsExactly((byte) 12, (byte) 13, (byte) 14, (byte) 15, (byte) 16, (byte) 17, (byte) 18, (byte) 19);
        assertThat(relay.stats().dropped()).isEqualTo(12);
    }

    /**
     * A client that sends and never reads (the attack that grew a relay's queue by 170,000 pongs a minute and
     * stalled everyone): its pings are answered a few a second, and once its control frames pile up it is closed.
     */
    @Test
    void aClientThatNeverReadsCannotGrowTheRelaysMemory() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        LocalIdentity mallory = Identities.ephemeral();
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn m = login(relay, mallory);
        Conn a = login(relay, alice);
        Conn b = login(relay, bob);
        for (int i = 0; i < 100_000 && m.closedBecause == null; i++) {
            m.session.received(new RelayFrame.Ping(i)); // all within one instant: only the burst is answered
        }
        assertThat(m.session.queued()).isEqualTo(RelayCore.PING_BURST);
        assertThat(relay.pingsDropped()).as("pings beyond the budget").isEqualTo(100_000 - RelayCore.PING_BURST);
        // pings only: the budget keeps it below the control bound; now datagrams to nobody, each answered by a notice
        for (int i = 0; i < 100_000 && m.closedBecause == null; i++) {
            m.session.received(new RelayFrame.ClientToRelayDatagram(Identities.ephemeral().id(), (byte) 0, new byte[] {1}));
        }
        assertThat(m.closedBecause).contains("not reading");
        assertThat(m.session.queued()).isLessThanOrEqualTo(RelayCore.MAX_CONTROL);
        // everyone else is served as before
        a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[] {9}));
        assertThat(b.drain()).containsExactly(new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 0, new byte[] {9}));
        a.session.received(new RelayFrame.Ping(7));
        assertThat(a.drain()).containsExactly(new RelayFrame.Pong(7));
        // a burst of datagrams to one peer that left: one notice waits, not one per datagram (a busy client is not
        // closed for sending QUIC retransmissions to a peer that is gone)
        org.quiver.api.EndpointId gone = Identities.ephemeral().id();
        for (int i = 0; i < 1000; i++) {
            a.session.received(new RelayFrame.ClientToRelayDatagram(gone, (byte) 0, new byte[] {1}));
        }
        assertThat(a.closedBecause).isNull();
        assertThat(a.drain()).containsExactly(new RelayFrame.EndpointGone(gone));
    }

    @Test
    void theRateLimitDropsAndSaysSoOncePerSecond() {
        RelayCore relay = relay(new RelayCore.Limits(100, 1000, 100_000, 65_535));
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Conn a = login(relay, alice);
        Conn b = login(relay, bob);
        for (int i = 0; i < 5; i++) {
            a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[20_000]));
        }
        assertThat(b.drain()).hasSize(3); // 65,535 bytes of burst
        assertThat(a.drain()).containsExactly(new RelayFrame.Status(false, true));
        assertThat(relay.stats().dropped()).isEqualTo(2);
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(200)); // 20,000 bytes of budget come back
        a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[20_000]));
        assertThat(b.drain()).hasSize(1);
        a.session.received(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[20_000]));
        assertThat(a.drain()).as("told at most once a second").isEmpty();
    }

    @Test
    void theRelayRefusesClientsBeyondItsLimitAndClientFramesOnly() {
        RelayCore relay = relay(new RelayCore.Limits(2, 8, 1L << 20, 1L << 20));
        Conn a = login(relay, Identities.ephemeral());
        open(relay);
        Conn third = open(relay);
        assertThat(third.session).isNull();
        assertThat(third.closedBecause).contains("relay full");
        a.session.received(new RelayFrame.ServerConfirmsAuth());
        assertThat(a.closedBecause).contains("not a frame a client sends");
        a.session.malformed("x");
        assertThat(relay.stats().refused()).isEqualTo(2);
        assertThat(open(relay).session).as("a closed session frees its slot").isNotNull();
    }

    @Test
    void restartingIsBroadcast() {
        RelayCore relay = relay(RelayCore.Limits.DEFAULT);
        Conn a = login(relay, Identities.ephemeral());
        Conn b = login(relay, Identities.ephemeral());
        relay.restarting(500, 10_000);
        assertThat(a.drain()).containsExactly(new RelayFrame.Restarting(500, 10_000));
        assertThat(b.drain()).containsExactly(new RelayFrame.Restarting(500, 10_000));
        assertThat(relay.limits()).isEqualTo(RelayCore.Limits.DEFAULT);
    }

    /** A thousand clients at once, from several threads: all in, the counts right, queues bounded. */
    @Test
    void aThousandClientsConnectingAtOnce() throws Exception {
        RelayCore relay = relay(new RelayCore.Limits(1000, 16, 1L << 20, 1L << 20));
        List<LocalIdentity> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(Identities.ephemeral());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch done = new CountDownLatch(1000);
        List<Conn> conns = java.util.Collections.synchronizedList(new ArrayList<>());
        for (LocalIdentity id : ids) {
            pool.execute(() -> {
                conns.add(login(relay, id));
                done.countDown();
            });
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        pool.shutdown();
        assertThat(relay.stats().authenticated()).isEqualTo(1000);
        assertThat(open(relay).session).as("the 1,001st is refused").isNull();
        // everyone sends to client 0, who never reads: its queue stays at the limit
        Conn sink = conns.stream().filter(c -> c.session.id().equals(ids.get(0).id())).findFirst().orElseThrow();
        for (Conn c : conns) {
            c.session.received(new RelayFrame.ClientToRelayDatagram(ids.get(0).id(), (byte) 0, new byte[100]));
        }
        assertThat(sink.session.queued()).isEqualTo(16);
        assertThat(relay.stats().forwarded()).isEqualTo(1000);
        assertThat(relay.stats().dropped()).isEqualTo(1000 - 16);
        for (Conn c : conns) {
            c.session.closed();
        }
        assertThat(relay.stats().sessions()).isZero();
        assertThat(relay.stats().authenticated()).isZero();
    }
}
