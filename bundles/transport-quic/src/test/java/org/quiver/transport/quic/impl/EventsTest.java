package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EventTopics;
import org.quiver.identity.Identities;

/** The structured events an endpoint posts, through the plain-Java sink (EventAdmin in OSGi). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventsTest {
    private record Posted(String topic, Map<String, Object> props) {}

    private final LinkedBlockingQueue<Posted> fromA = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Posted> fromB = new LinkedBlockingQueue<>();

    private static Posted next(LinkedBlockingQueue<Posted> q, String topic) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Posted p = q.poll(100, TimeUnit.MILLISECONDS);
            if (p != null && p.topic.equals(topic)) {
                return p;
            }
        }
        throw new AssertionError("no " + topic + " event");
    }

    @Test
    void connectionsOpenAndCloseAndDroppedMessagesAreEvents() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(lo).handler("ev/1", c -> { })
                .events((t, p) -> fromB.add(new Posted(t, p))).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                     .pendingLimits(new BoundedPendingBuffer.Limits(100, 1, Duration.ofSeconds(30), 4, 400))
                     .events((t, p) -> fromA.add(new Posted(t, p))).build();
             DatagramSocket silent = new DatagramSocket(lo)) {
            Connection c = Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "ev/1"), Duration.ofSeconds(10));
            Posted opened = next(fromA, EventTopics.CONNECTION_OPENED);
            assertThat(opened.props).containsEntry(EventTopics.ENDPOINT_ID, a.id().toString())
                    .containsEntry(EventTopics.PEER_ID, b.id().toString()).containsEntry(EventTopics.ALPN, "ev/1")
                    .containsEntry(EventTopics.DIALER, true).containsEntry(EventTopics.PATH_KIND, "DIRECT")
                    .containsEntry(EventTopics.PATH, AddressText.text(b.localAddress()));
            assertThat(next(fromB, EventTopics.CONNECTION_OPENED).props).containsEntry(EventTopics.PEER_ID, a.id().toString())
                    .containsEntry(EventTopics.DIALER, false);

            c.close(7, "done here");
            Posted closed = next(fromB, EventTopics.CONNECTION_CLOSED);
            assertThat(closed.props).containsEntry(EventTopics.PEER_ID, a.id().toString()).containsEntry(EventTopics.CAUSE, "PEER")
                    .containsEntry(EventTopics.CODE, 7L).containsEntry(EventTopics.REASON, "done here");
            assertThat(next(fromA, EventTopics.CONNECTION_CLOSED).props).containsEntry(EventTopics.CAUSE, "LOCAL");

            // one message may wait per peer: the second pushes the first out
            EndpointAddr nowhere = EndpointAddr.of(Identities.ephemeral().id(), null, List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            a.send(nowhere, "ev/1", new byte[10]);
            a.send(nowhere, "ev/1", new byte[20]);
            assertThat(next(fromA, EventTopics.BUFFER_DROPPED).props).containsEntry(EventTopics.PEER_ID, nowhere.id().toString())
                    .containsEntry(EventTopics.REASON, "OVERFLOW").containsEntry(EventTopics.BYTES, 10L)
                    .containsEntry(EventTopics.ALPN, "ev/1");
        }
    }
}
