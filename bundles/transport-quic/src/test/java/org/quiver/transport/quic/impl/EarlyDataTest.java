package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.ProtocolHandler;
import org.quiver.identity.Identities;

/**
 * 0-RTT with real endpoints on loopback: a reconnect of a replay-safe ALPN goes to work before its handshake
 * completes on both sides (the dialer's stream travels with the handshake, the acceptor's handler gets it with the
 * peer's first flight, knowing the peer from the resumed session), a non-safe ALPN never does, and a ticket the
 * peer can no longer open (it restarted) costs a full handshake but loses no request.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EarlyDataTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final String SAFE = "echo-safe/1";
    private static final String UNSAFE = "echo/1";
    private final List<QuicEndpoint> open = new java.util.ArrayList<>();
    private final java.util.Queue<Connection> accepted = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Requests each endpoint's handlers read, by endpoint id and ALPN. */
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> requests = new java.util.concurrent.ConcurrentHashMap<>();

    @AfterEach
    void closeAll() {
        open.forEach(QuicEndpoint::close);
    }

    /** Answers each stream with the 8 bytes it got; replay-safe or not as told. */
    private final class Echo implements ProtocolHandler {
        private final boolean safe;

        Echo(boolean safe) {
            this.safe = safe;
        }

        @Override
        public void accept(Connection c) throws Exception {
            accepted.add(c);
            while (true) {
                BiStream s = Blocking.await(c.acceptBi(), Duration.ofSeconds(30));
                long v = new DataInputStream(s.recv().inputStream()).readLong();
                requests.computeIfAbsent(c.alpn(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                try (OutputStream out = s.send().outputStream()) {
                    new DataOutputStream(out).writeLong(v);
                }
            }
        }

        @Override
        public boolean replaySafe() {
            return safe;
        }
    }

    private QuicEndpoint endpoint(InetSocketAddress bind) throws Exception {
        return endpoint(Identities.ephemeral(), bind);
    }

    private QuicEndpoint endpoint(org.quiver.api.LocalIdentity identity, InetSocketAddress bind) throws Exception {
        return endpoint(identity, bind, false);
    }

    /** An endpoint serving both ALPNs; {@code bothSafe}: it also takes the non-safe one for replay-safe (and dials it so). */
    private QuicEndpoint endpoint(org.quiver.api.LocalIdentity identity, InetSocketAddress bind, boolean bothSafe) throws Exception {
        QuicEndpoint e = QuicEndpoint.builder(identity).bind(bind)
                .handler(SAFE, new Echo(true)).handler(UNSAFE, new Echo(bothSafe)).build();
        open.add(e);
        return e;
    }

    private static EndpointAddr at(QuicEndpoint e) {
        return EndpointAddr.of(e.id(), null, List.of(e.localAddress()));
    }

    /** Dials, asks once (a number echoed back) and returns the dialed connection and the accepted one. */
    private Connection[] ask(QuicEndpoint a, QuicEndpoint b, String alpn) throws Exception {
        return ask(a, at(b), alpn);
    }

    private Connection[] ask(QuicEndpoint a, EndpointAddr b, String alpn) throws Exception {
        accepted.clear();
        Connection c = Blocking.await(a.connect(b, alpn), Duration.ofSeconds(10));
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        long v = System.nanoTime();
        try (OutputStream out = s.send().outputStream()) {
            new DataOutputStream(out).writeLong(v);
        }
        try (InputStream in = s.recv().inputStream()) {
            assertThat(new DataInputStream(in).readLong()).as("the answer").isEqualTo(v);
        }
        // TLS 1.3 tickets are single-use and the next one comes after the handshake: let it arrive
        Thread.sleep(100);
        assertThat(accepted).hasSize(1);
        Connection d = accepted.poll();
        c.close();
        return new Connection[] {c, d};
    }

    @Test
    void aReplaySafeReconnectWorksIn0RttAndANonSafeOneWaits() throws Exception {
        QuicEndpoint a = endpoint(LO);
        QuicEndpoint b = endpoint(LO);
        // a path with a round trip of 40 ms: on bare loopback the handshake can be over before the request is
        // written, and the request then goes in 1-RTT
        try (DelayLine path = new DelayLine(a.localAddress(), b.localAddress(), 20)) {
            EndpointAddr bOnPath = EndpointAddr.of(b.id(), null, List.of(path.address()));
            Connection[] first = ask(a, bOnPath, SAFE);
            assertThat(first[0].earlyData()).as("a first connection has no session to resume").isFalse();
            assertThat(first[1].earlyData()).isFalse();
            Connection[] again = ask(a, bOnPath, SAFE);
            assertThat(again[0].earlyData()).as("the dialer sent its request in 0-RTT").isTrue();
            assertThat(again[1].earlyData()).as("the acceptor's handler had it before the handshake completed").isTrue();
            assertThat(again[1].remoteId()).as("the acceptor knows who resumed, from the ticket").isEqualTo(a.id());
            assertThat(again[0].resumed()).isTrue();
            assertThat(again[1].resumed()).isTrue();
            assertThat(b.acceptor().earlyAccepted.sum()).isEqualTo(1);

            ask(a, bOnPath, UNSAFE);
            Connection[] unsafe = ask(a, bOnPath, UNSAFE);
            assertThat(unsafe[0].resumed()).as("resumed all the same").isTrue();
            assertThat(unsafe[0].earlyData()).as("but not in 0-RTT: the ALPN is not replay-safe").isFalse();
            assertThat(unsafe[1].earlyData()).isFalse();
            assertThat(b.acceptor().earlyAccepted.sum()).isEqualTo(1);
        }
    }

    @Test
    void aTicketThePeerCannotOpenCostsAFullHandshakeAndNoRequest() throws Exception {
        QuicEndpoint a = endpoint(LO);
        org.quiver.api.LocalIdentity idB = Identities.ephemeral();
        QuicEndpoint b = endpoint(idB, LO);
        ask(a, b, SAFE);
        InetSocketAddress where = b.localAddress();
        // b restarts at the same address with the same id: a new ticket key, so a's ticket does not open
        b.close();
        QuicEndpoint b2 = endpoint(idB, where);
        Connection[] again = ask(a, b2, SAFE);
        assertThat(again[1].earlyData()).as("b2 could not resume").isFalse();
        assertThat(again[1].resumed()).isFalse();
        assertThat(again[0].remoteId()).isEqualTo(b.id());
    }

    @Test
    void aRecordedFlightReplayedReachesOnlyReplaySafeHandlers() throws Exception {
        QuicEndpoint b = endpoint(LO);
        // a dials the non-safe ALPN in 0-RTT too (it calls it replay-safe): what b does with such data is the test
        QuicEndpoint a = endpoint(Identities.ephemeral(), LO, true);
        try (DelayLine path = new DelayLine(a.localAddress(), b.localAddress(), 20)) {
            EndpointAddr bOnPath = EndpointAddr.of(b.id(), null, List.of(path.address()));
            for (String alpn : List.of(SAFE, UNSAFE)) {
                ask(a, bOnPath, alpn); // a full handshake: a ticket
                path.record(); // an attacker on the path records a's next flight
                Connection[] again = ask(a, bOnPath, alpn);
                List<byte[]> flight = path.recorded();
                assertThat(again[0].earlyData()).as(alpn + ": a sent its request in 0-RTT").isTrue();
                assertThat(again[1].earlyData()).as(alpn + ": b acted on it early only if replay-safe").isEqualTo(alpn.equals(SAFE));
                Blocking.await(again[1].closed(), Duration.ofSeconds(5));
                int before = requests.get(alpn).get();
                path.replay(flight); // from the address b knows a at, within the Retry token's lifetime
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (requests.get(alpn).get() == before && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                if (alpn.equals(SAFE)) {
                    assertThat(requests.get(alpn).get()).as("a replay-safe handler sees the replayed request (that is what it said it can take)")
                            .isEqualTo(before + 1);
                } else {
                    assertThat(requests.get(alpn).get()).as("a non-safe handler never sees a replayed request: it waits for a handshake that never completes")
                            .isEqualTo(before);
                }
            }
        }
        assertThat(b.acceptor().earlyAccepted.sum()).as("the 0-RTT dial and its replay, of the safe ALPN").isEqualTo(2);
    }

    @Test
    void theTicketInAResumingHelloNamesItsPeerOnlyUntouchedAndOnlyWithItsKey() throws Exception {
        QuicEndpoint a = endpoint(LO);
        QuicEndpoint b = endpoint(LO);
        try (DelayLine path = new DelayLine(a.localAddress(), b.localAddress(), 0)) {
            EndpointAddr bOnPath = EndpointAddr.of(b.id(), null, List.of(path.address()));
            ask(a, bOnPath, UNSAFE);
            path.record();
            ask(a, bOnPath, UNSAFE);
            List<byte[]> flight = path.recorded();
            // a's first Initials (before the Retry) carry its ClientHello, with the ticket b issued in the first connection
            byte[] dcid = InitialPackets.dcid(flight.stream().filter(d -> (d[0] & 0xf0) == 0xc0).findFirst().orElseThrow());
            InitialPackets.Reassembly hello = new InitialPackets.Reassembly(KeyExchanges.MAX_CLIENT_HELLO);
            for (byte[] d : flight) {
                if (java.util.Arrays.equals(InitialPackets.dcid(d), dcid)) {
                    InitialPackets.open(d, InitialPackets.keys(dcid, false), hello);
                }
            }
            byte[] ticket = KeyExchanges.clientHelloTicket(hello.contiguous());
            assertThat(ticket).as("the ClientHello offers a session").isNotNull();
            SessionTickets.Issued issued = SessionTickets.open(ticket, b.acceptor().ticketKey);
            assertThat(issued).isEqualTo(new SessionTickets.Issued(a.id(), UNSAFE));
            assertThat(SessionTickets.open(ticket, a.acceptor().ticketKey)).as("another endpoint's key").isNull();
            for (int i = 0; i < ticket.length; i += 7) {
                byte[] tampered = ticket.clone();
                tampered[i] ^= 1;
                assertThat(SessionTickets.open(tampered, b.acceptor().ticketKey)).as("a ticket changed at byte " + i).isNull();
            }
        }
    }

    @Test
    void aResumingPeerNotProvedAtItsAddressIsServedAfterItsHandshake() throws Exception {
        QuicEndpoint a = endpoint(LO);
        // b forgets its peers a second after their last connection
        QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).idleTimeout(Duration.ofSeconds(1))
                .handler(SAFE, new Echo(true)).build();
        open.add(b);
        try (DelayLine path = new DelayLine(a.localAddress(), b.localAddress(), 20)) {
            EndpointAddr bOnPath = EndpointAddr.of(b.id(), null, List.of(path.address()));
            ask(a, bOnPath, SAFE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (b.onLoopGet(() -> b.pathLayer().paths.byId(a.id())) != null && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(b.onLoopGet(() -> b.pathLayer().paths.byId(a.id()))).as("b forgot a").isNull();
            // a still has its session: it resumes and sends in 0-RTT, to a b that no longer knows who is at that address
            Connection[] again = ask(a, bOnPath, SAFE);
            assertThat(again[0].earlyData()).as("a sent its request in 0-RTT").isTrue();
            assertThat(again[1].earlyData()).as("b waited for the handshake: the ticket's name is not proved at this address").isFalse();
            assertThat(again[1].resumed()).isTrue();
            assertThat(again[1].remoteId()).isEqualTo(a.id());
            assertThat(b.acceptor().earlyAccepted.sum()).isZero();
        }
    }
}
