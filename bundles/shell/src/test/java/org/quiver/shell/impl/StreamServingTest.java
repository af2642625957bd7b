package org.quiver.shell.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.impl.EndpointBuilder;
import org.quiver.transport.quic.impl.QuicEndpoint;

/**
 * A peer that opens many streams and goes silent cannot stop the built-in services for others: real endpoints, the
 * ping protocol served as the node serves it (4 streams per peer at once, an idle deadline).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamServingTest {
    private final InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final StreamServing serving = new StreamServing("test-ping", StreamServing.PER_PEER, Duration.ofSeconds(2));
    private final List<QuicEndpoint> open = new ArrayList<>();

    @AfterEach
    void stop() {
        open.forEach(QuicEndpoint::close);
        serving.close();
    }

    private QuicEndpoint endpoint(EndpointBuilder b) throws Exception {
        QuicEndpoint e = b.bind(lo).build();
        open.add(e);
        return e;
    }

    @Test
    void aPingThatIsNeverAnsweredGivesUpAtItsTimeout() throws Exception {
        // a peer that takes the connection and never answers a stream (a wedged node, a path that carries nothing)
        QuicEndpoint mute = endpoint(QuicEndpoint.builder(Identities.ephemeral()).handler(Protocols.PING, c -> { }));
        QuicEndpoint dialer = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        Connection c = Blocking.await(dialer.connect(EndpointAddr.of(mute.id(), null, List.of(mute.localAddress())), Protocols.PING),
                Duration.ofSeconds(10));
        long t0 = System.nanoTime();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Protocols.ping(c, Duration.ofMillis(500)))
                .hasMessageContaining("no answer to the ping within 500 ms");
        assertThat(System.nanoTime() - t0).as("given up at its timeout, not at the idle timeout").isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void fortySlowStreamsFromOnePeerDoNotStopAnotherPeersPing() throws Exception {
        QuicEndpoint node = endpoint(QuicEndpoint.builder(Identities.ephemeral())
                .handler(Protocols.PING, c -> serving.serve(c, (s, p) -> Protocols.servePing(s))));
        EndpointAddr at = EndpointAddr.of(node.id(), null, List.of(node.localAddress()));
        QuicEndpoint slow = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        QuicEndpoint other = endpoint(QuicEndpoint.builder(Identities.ephemeral()));

        Connection hog = Blocking.await(slow.connect(at, Protocols.PING), Duration.ofSeconds(10));
        List<BiStream> held = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // each sends one byte of its 8 and waits
            BiStream s = Blocking.await(hog.openBi(), Duration.ofSeconds(10));
            s.send().outputStream().write(1);
            s.send().outputStream().flush();
            held.add(s);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (serving.overLimit.sum() < 36 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(serving.overLimit.sum()).as("beyond 4 at once, the peer's streams are reset").isEqualTo(36);

        Connection c = Blocking.await(other.connect(at, Protocols.PING), Duration.ofSeconds(10));
        long rtt = Protocols.ping(c);
        System.out.printf("another peer's ping with 40 slow streams held: %.2f ms%n", rtt / 1e6);
        assertThat(rtt).as("answered within 1 s").isLessThan(TimeUnit.SECONDS.toNanos(1));

        // the 4 that were served are reset at the idle deadline: their workers are free again
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (serving.timedOut.sum() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(serving.timedOut.sum()).isEqualTo(4);
        // and the same peer is served again once it behaves
        assertThat(Protocols.ping(hog)).isLessThan(TimeUnit.SECONDS.toNanos(1));
    }
}
