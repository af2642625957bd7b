package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.EndpointAddr;
import org.quiver.api.Messages;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.api.RecvStream;
import org.quiver.identity.Identities;

/** Endpoint.send: messages wait in the bounded buffer until the connection is up, then arrive in order. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SendTest {
    private static final String ALPN = "test/messages/1";
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();

    /** Reads every message of every unidirectional stream. */
    private final ProtocolHandler reader = conn -> {
        while (true) {
            RecvStream s;
            try {
                s = Blocking.await(conn.acceptUni(), Duration.ofMinutes(1));
            } catch (QuiverException closed) {
                return;
            }
            try (InputStream in = s.inputStream()) {
                for (byte[] m; (m = Messages.read(in)) != null; ) {
                    received.add(new String(m, java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
    };

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : owned) {
            c.close();
        }
    }

    private QuicEndpoint endpoint(EndpointBuilder b) throws Exception {
        QuicEndpoint e = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).build();
        owned.add(0, e);
        return e;
    }

    @Test
    void messagesSentBeforeTheConnectionIsUpArriveInOrder() throws Exception {
        QuicEndpoint b = endpoint(QuicEndpoint.builder(Identities.ephemeral()).handler(ALPN, reader));
        QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
        EndpointAddr to = EndpointAddr.of(b.id(), null, List.of(b.localAddress()));
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(a.send(to, ALPN, ("message " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toCompletableFuture());
        }
        assertThat(a.pendingStats().messages()).as("waiting for the connection").isPositive();
        CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 50; i++) {
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("message " + i);
        }
        // later messages reuse the connection and its stream
        a.send(to, ALPN, "one more".getBytes(java.nio.charset.StandardCharsets.UTF_8)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("one more");
        assertThat(a.connections()).hasSize(1);
        assertThat(a.pendingStats()).isEqualTo(new BoundedPendingBuffer.Stats(0, 0, 0, 0, 0));
        // what a sender chains to the stage never runs on the endpoint's event loop
        String thread = a.send(to, ALPN, new byte[] {1}).thenApply(v -> Thread.currentThread().getName())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(thread).doesNotStartWith("quiver-endpoint");
    }

    @Test
    void messagesForAPeerThatNeverAnswersExpireAndOverflowWithAReason() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral())
                    .pendingLimits(new BoundedPendingBuffer.Limits(1000, 3, Duration.ofMillis(300), 16, 16_000)));
            EndpointAddr to = EndpointAddr.of(Identities.ephemeral().id(), null, List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add(a.send(to, ALPN, new byte[] {(byte) i}).toCompletableFuture());
            }
            assertThat(cause(sent.get(0))).hasMessageContaining("Dropped: more than 3 messages");
            assertThat(cause(sent.get(1))).hasMessageContaining("Dropped");
            for (int i = 2; i < 5; i++) {
                assertThat(cause(sent.get(i))).hasMessageContaining("Expired: no connection to");
            }
            assertThat(a.pendingStats().dropped()).isEqualTo(2);
            assertThat(a.pendingStats().expired()).isEqualTo(3);
            assertThat(a.pendingStats().messages()).isZero();
            assertThat(cause(a.send(to, ALPN, new byte[1001]).toCompletableFuture())).hasMessageContaining("1001 bytes");
        }
    }

    @Test
    void whatWaitsWhenTheEndpointClosesIsFailedNotLost() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            QuicEndpoint a = endpoint(QuicEndpoint.builder(Identities.ephemeral()));
            EndpointAddr to = EndpointAddr.of(Identities.ephemeral().id(), null, List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            CompletableFuture<Void> waiting = a.send(to, ALPN, new byte[] {1}).toCompletableFuture();
            a.close();
            assertThat(cause(waiting)).isInstanceOf(QuiverException.class).hasMessageContaining("Not sent");
            assertThat(cause(a.send(to, ALPN, new byte[1]).toCompletableFuture())).hasMessageContaining("closed");
        }
    }

    private static Throwable cause(CompletableFuture<Void> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }
}
