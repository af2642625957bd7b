package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * Time is an input: an endpoint whose monotonic clock ({@code Builder.ticker}) jumps a day ahead does what it
 * would do a day later - a message waiting for a peer that never answered has expired, a peer idle that long is
 * forgotten - while its live connection keeps carrying streams.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ADayLaterTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static void roundTrip(Connection c) throws Exception {
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        try (OutputStream out = s.send().outputStream()) {
            out.write(new byte[1 << 20]);
        }
        try (InputStream in = s.recv().inputStream()) {
            assertThat(new String(in.readAllBytes())).isEqualTo(Integer.toString(1 << 20));
        }
    }

    @Test
    void aDayLaterWaitingMessagesHaveExpiredIdlePeersAreForgottenAndLiveConnectionsWork() throws Exception {
        AtomicLong ahead = new AtomicLong();
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("d/1", MetricsWiringTest::countBytes).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).ticker(() -> System.nanoTime() + ahead.get()).build();
             DatagramSocket silent = new DatagramSocket(LO)) {
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "d/1"), Duration.ofSeconds(10));
            roundTrip(c);

            // a message for a peer that never answers waits (up to 30 s)...
            EndpointAddr nobody = EndpointAddr.of(Identities.ephemeral().id(), null, List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            CompletableFuture<Void> waiting = a.send(nobody, "d/1", new byte[100]).toCompletableFuture();
            Thread.sleep(300);
            assertThat(waiting).isNotDone();
            // ...and a day later it has expired: the next pass (within a second) says so
            ahead.addAndGet(Duration.ofDays(1).toNanos());
            assertThat(catchThrowable(() -> waiting.get(5, TimeUnit.SECONDS))).hasMessageContaining("Expired: no connection to");

            // the live connection does not care: probes find its path again, streams go on
            roundTrip(c);

            // a peer whose last connection closed is forgotten once idle longer than the idle timeout
            c.close();
            c.closed().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(a.paths(b.id())).as("known for a while after the close").isNotEmpty();
            ahead.addAndGet(Duration.ofDays(1).toNanos());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!a.paths(b.id()).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(a.paths(b.id())).as("forgotten by the sweep after a day idle").isEmpty();

            // and a day later still, it dials again as if new
            roundTrip(Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "d/1"), Duration.ofSeconds(10)));
        }
    }
}
