package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * TLS session resumption with real endpoints on loopback: a reconnect resumes (both sides see it, both still know
 * who the other is), the pinned id holds on resumption, and a session past its lifetime or a cache of size 0 makes
 * a full handshake again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumptionTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<QuicEndpoint> open = new java.util.ArrayList<>();
    private final java.util.Queue<Connection> accepted = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @AfterEach
    void closeAll() {
        open.forEach(QuicEndpoint::close);
    }

    private QuicEndpoint endpoint(EndpointBuilder b) throws Exception {
        QuicEndpoint e = b.bind(LO).handler("r/1", accepted::add).build();
        open.add(e);
        return e;
    }

    private QuicEndpoint endpoint() throws Exception {
        return endpoint(QuicEndpoint.builder(Identities.ephemeral()));
    }

    private static EndpointAddr at(QuicEndpoint e) {
        return EndpointAddr.of(e.id(), null, List.of(e.localAddress()));
    }

    /** The dialed end and the accepted end of a new connection from {@code a} to {@code target}. */
    private QuicConnectionImpl[] dial(QuicEndpoint a, EndpointAddr target) throws Exception {
        accepted.clear();
        QuicConnectionImpl dialed = (QuicConnectionImpl) Blocking.await(a.connect(target, "r/1"), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (accepted.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(accepted).hasSize(1);
        // TLS 1.3 tickets are single-use and the next one comes after the handshake (NewSessionTicket): give it a
        // moment to arrive, or a dial right after this one finds no session (a full handshake, which is correct)
        Thread.sleep(100);
        return new QuicConnectionImpl[] {dialed, (QuicConnectionImpl) accepted.poll()};
    }

    @Test
    void aReconnectResumesAndBothSidesStillKnowEachOther() throws Exception {
        QuicEndpoint a = endpoint();
        QuicEndpoint b = endpoint();
        QuicConnectionImpl[] first = dial(a, at(b));
        assertThat(first[0].resumed()).as("the first handshake is a full one").isFalse();
        assertThat(first[1].resumed()).isFalse();
        first[0].close();
        QuicConnectionImpl[] again = dial(a, at(b));
        assertThat(again[0].resumed()).as("the dialer's view of the reconnect").isTrue();
        assertThat(again[1].resumed()).as("the acceptor's view").isTrue();
        assertThat(again[0].remoteId()).isEqualTo(b.id());
        assertThat(again[1].remoteId()).as("the acceptor knows the dialer from the resumed session").isEqualTo(a.id());
        assertThat(again[0].keyExchange()).as("resumption still exchanges a fresh key").isEqualTo("X25519MLKEM768");
        // a handler added to b makes b's TLS context anew: its tickets stay good
        b.addHandler("other/1", c -> { });
        assertThat(dial(a, at(b))[0].resumed()).as("after b's handlers changed").isTrue();
        // and the other way round, a first time: full
        assertThat(dial(b, at(a))[0].resumed()).isFalse();
    }

    @Test
    void aSessionIsResumedOnlyForTheIdItWasMadeWith() throws Exception {
        // a forgets its peers a second after their last connection, so that a later dial goes where it is told
        QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()).idleTimeout(Duration.ofSeconds(1)));
        QuicEndpoint b = endpoint();
        java.util.Queue<Connection> atC = new java.util.concurrent.ConcurrentLinkedQueue<>();
        QuicEndpoint c = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("r/1", atC::add).build();
        open.add(c);
        dial(a, at(b))[0].close();
        awaitForgotten(a, b);
        // b's id at c's address: a offers b's session to c, which must not be able to open it; and c's key is not b's
        assertThatThrownBy(() -> Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(c.localAddress())), "r/1"),
                Duration.ofSeconds(10))).hasMessageContaining("Connect to " + b.id().shortString());
        assertThat(atC).as("c's handler never saw a connection that a thinks is b's").isEmpty();
        awaitForgotten(a, b);
        // c's id at b's address: a has no session for c, and b's key is not c's
        assertThatThrownBy(() -> Blocking.await(a.connect(EndpointAddr.of(c.id(), null, List.of(b.localAddress())), "r/1"),
                Duration.ofSeconds(10))).hasMessageContaining("Connect to " + c.id().shortString());
        assertThat(accepted).as("b's handler did not see it either").isEmpty();
        // the session offered to the impostor is gone (a failed handshake drops it); the real b is dialed in full,
        // and resumed with again after that
        assertThat(dial(a, at(b))[0].resumed()).isFalse();
        assertThat(dial(a, at(b))[0].resumed()).isTrue();
    }

    /** Waits (bounded) until {@code a} has no peer entry for {@code b} any more. */
    private static void awaitForgotten(QuicEndpoint a, QuicEndpoint b) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (a.onLoopGet(() -> a.pathLayer().paths.byId(b.id())) != null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(a.onLoopGet(() -> a.pathLayer().paths.byId(b.id()))).as("a forgot b's path").isNull();
    }

    @Test
    void noCacheOrAnExpiredSessionMeansAFullHandshake() throws Exception {
        QuicEndpoint b = endpoint();
        QuicEndpoint none = endpoint(QuicEndpoint.builder(Identities.ephemeral()).sessionResumption(0, Duration.ofHours(1)));
        dial(none, at(b));
        assertThat(dial(none, at(b))[0].resumed()).as("no sessions kept").isFalse();
        // the lifetime is judged by the endpoint's clock: a day later (an injected clock), the session is not resumed
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
        QuicEndpoint dialer = endpoint(QuicEndpoint.builder(Identities.ephemeral()).ticker(clock::get)
                .sessionResumption(10, Duration.ofHours(1)));
        dial(dialer, at(b));
        clock.addAndGet(Duration.ofMinutes(59).toNanos());
        assertThat(dial(dialer, at(b))[0].resumed()).as("59 minutes later: within the lifetime").isTrue();
        clock.addAndGet(Duration.ofMinutes(2).toNanos());
        assertThat(dial(dialer, at(b))[0].resumed()).as("61 minutes after the full handshake: past it, though resumed since")
                .isFalse();
        assertThat(dial(dialer, at(b))[0].resumed()).as("the new session is resumed").isTrue();
        clock.addAndGet(Duration.ofDays(1).toNanos());
        assertThat(dial(dialer, at(b))[0].resumed()).as("a day later").isFalse();
    }
}
