package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * The threading contract: futures complete on the endpoint's event loop, and a blocking call made there (a
 * continuation that waits) fails at once with a clear message instead of deadlocking the endpoint.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThreadingTest {
    private record Seen(String thread, Throwable failure) {
    }

    @Test
    void blockingInAContinuationFailsFastAndTheEndpointGoesOn() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("t/1", c -> { }).build();
             QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).build();
             // 20 ms each way: every dial takes 40 ms or more, so the continuations below are attached long before it
             // completes and run where it completes
             DelayLine line = new DelayLine(client.localAddress(), server.localAddress(), 20)) {
            EndpointAddr target = EndpointAddr.of(server.id(), null, List.of(line.address()));

            CompletableFuture<Seen> awaitSeen = new CompletableFuture<>();
            client.connect(target, "t/1").thenAccept(c -> {
                try {
                    Blocking.await(c.openBi(), Duration.ofSeconds(5)); // would wait for this very thread
                    awaitSeen.complete(new Seen(Thread.currentThread().getName(), null));
                } catch (Throwable t) {
                    awaitSeen.complete(new Seen(Thread.currentThread().getName(), t));
                }
            });
            Seen seen = awaitSeen.get(10, TimeUnit.SECONDS);
            assertThat(seen.thread()).as("connect completes on the event loop").startsWith("quiver-endpoint");
            assertThat(seen.failure()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Blocking.await would block a Quiver endpoint's event loop").hasMessageContaining("deadlock");

            // a stream's blocking view, used in a continuation, fails the same way
            Connection c = Blocking.await(client.connect(target, "t/1"), Duration.ofSeconds(10));
            BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
            CompletableFuture<Seen> streamSeen = new CompletableFuture<>();
            client.connect(target, "t/1").thenCompose(Connection::openBi).thenAccept(other -> {
                try {
                    other.send().outputStream().close();
                    streamSeen.complete(new Seen(Thread.currentThread().getName(), null));
                } catch (Throwable t) {
                    streamSeen.complete(new Seen(Thread.currentThread().getName(), t));
                }
            });
            Seen stream = streamSeen.get(10, TimeUnit.SECONDS);
            assertThat(stream.thread()).startsWith("quiver-endpoint");
            assertThat(stream.failure()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("A stream's blocking read or write would block");

            // nothing wedged: the same endpoint still dials, and blocking from this thread works
            s.send().reset(0);
            c.close();
            Connection again = Blocking.await(client.connect(target, "t/1"), Duration.ofSeconds(10));
            assertThat(again.remoteId()).isEqualTo(server.id());
            assertThat(Blocking.mayBlock()).isTrue();
            again.close();
        }
    }
}
