package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.CloseInfo;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/** The allow-list with real endpoints on loopback: who is refused, what they see, and live changes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<QuicEndpoint> open = new java.util.ArrayList<>();
    private final AtomicInteger handled = new AtomicInteger();

    @AfterEach
    void closeAll() {
        open.forEach(QuicEndpoint::close);
    }

    private QuicEndpoint endpoint(EndpointBuilder b) throws Exception {
        QuicEndpoint e = b.bind(LO).handler("echo/1", c -> handled.incrementAndGet()).build();
        open.add(e);
        return e;
    }

    private static EndpointAddr at(QuicEndpoint e) {
        return EndpointAddr.of(e.id(), null, List.of(e.localAddress()));
    }

    @Test
    void aPeerNotOnTheListIsRefusedWithAReasonItSeesAndAChangeAppliesToTheNextConnection() throws Exception {
        QuicEndpoint friend = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        QuicEndpoint stranger = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        QuicEndpoint node = endpoint(QuicEndpoint.builder(Identities.ephemeral()).allow(Set.of(friend.id())));
        assertThat(node.allowed()).containsExactly(friend.id());

        Connection ok = Blocking.await(friend.connect(at(node), "echo/1"), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (handled.get() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(handled.get()).as("the friend's connection reached the handler").isEqualTo(1);

        long t0 = System.nanoTime();
        Connection refused = Blocking.await(stranger.connect(at(node), "echo/1"), Duration.ofSeconds(10));
        CloseInfo why = Blocking.await(refused.closed(), Duration.ofSeconds(5));
        long refusalMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(why.cause()).isEqualTo(CloseInfo.Cause.PEER);
        assertThat(why.code()).isEqualTo(0x104);
        assertThat(why.reason()).isEqualTo(Endpoint.NOT_ALLOWED);
        assertThat(handled.get()).as("no handler saw the stranger").isEqualTo(1);
        assertThat(node.notAllowedCount()).isEqualTo(1);
        System.out.printf("a peer not allowed learned why %d ms after it dialed%n", refusalMillis);

        // the list changes live: the stranger is let in, the friend's connection is untouched
        node.allow(Set.of(friend.id(), stranger.id()));
        Blocking.await(stranger.connect(at(node), "echo/1"), Duration.ofSeconds(10));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (handled.get() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(handled.get()).isEqualTo(2);
        node.allow(Set.of(stranger.id())); // the friend is dropped from the list: its live connection stays
        Thread.sleep(200);
        assertThat(ok.closed().toCompletableFuture()).isNotDone();
        CloseInfo later = Blocking.await(Blocking.await(friend.connect(at(node), "echo/1"), Duration.ofSeconds(10)).closed(), Duration.ofSeconds(5));
        assertThat(later.reason()).as("but a new one is refused").isEqualTo(Endpoint.NOT_ALLOWED);
        node.allow(Set.of());
        assertThat(node.allowed()).as("empty: anyone").isEmpty();
    }
}
