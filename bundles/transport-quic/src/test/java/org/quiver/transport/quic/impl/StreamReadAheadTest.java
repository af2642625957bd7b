package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.api.RecvStream;
import org.quiver.api.SendStream;
import org.quiver.identity.Identities;

/**
 * A stream reads ahead of its reader ({@link QuicStream#READ_AHEAD}) and a blocking reader takes what was read ahead
 * in one hand-off: the bytes still arrive complete and in order, whatever the reader's sizes, and a reader that stops
 * still holds the sender back (the memory a stopped reader costs stays bounded: QUIC's window plus the read-ahead).
 */
class StreamReadAheadTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void bytesArriveCompleteAndInOrderThroughReadsOfEverySize() throws Exception {
        byte[] data = new byte[24 * 1024 * 1024 + 7];
        new java.util.Random(42).nextBytes(data);
        CompletableFuture<byte[]> digest = new CompletableFuture<>();
        CompletableFuture<Long> count = new CompletableFuture<>();
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("bulk/1", c -> {
            RecvStream s = Blocking.await(c.acceptUni(), Duration.ofSeconds(30));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long n = 0;
            int[] sizes = {1, 7, 1500, 65536, 300_000, 3};
            try (InputStream in = s.inputStream()) {
                byte[] buf = new byte[300_000];
                for (int i = 0, r; (r = in.read(buf, 0, sizes[i++ % sizes.length])) > 0; ) {
                    sha.update(buf, 0, r);
                    n += r;
                }
                assertThat(in.read()).as("after the end").isEqualTo(-1);
            }
            count.complete(n);
            digest.complete(sha.digest());
        }).build(); QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build()) {
            Connection c = Blocking.await(client.connect(EndpointAddr.of(server.id(), null, List.of(server.localAddress())), "bulk/1"), Duration.ofSeconds(10));
            try (OutputStream out = Blocking.await(c.openUni(), Duration.ofSeconds(10)).outputStream()) {
                for (int off = 0; off < data.length; off += 100_000) {
                    out.write(data, off, Math.min(100_000, data.length - off));
                }
            }
            assertThat(count.get(60, TimeUnit.SECONDS)).as("bytes read").isEqualTo(data.length);
            assertThat(digest.get(1, TimeUnit.SECONDS)).as("their SHA-256").isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        }
    }

    @Test
    void aReaderThatStopsHoldsTheSenderBackAndGetsEverythingWhenItReadsOn() throws Exception {
        long total = 96L * 1024 * 1024;
        CompletableFuture<RecvStream> accepted = new CompletableFuture<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("bulk/1", c -> {
            accepted.complete(Blocking.await(c.acceptUni(), Duration.ofSeconds(30)));
            done.get(120, TimeUnit.SECONDS); // the connection stays while the test reads
        }).build(); QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build()) {
            Connection c = Blocking.await(client.connect(EndpointAddr.of(server.id(), null, List.of(server.localAddress())), "bulk/1"), Duration.ofSeconds(10));
            SendStream send = Blocking.await(c.openUni(), Duration.ofSeconds(10));
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                try (OutputStream out = send.outputStream()) {
                    byte[] chunk = new byte[64 * 1024];
                    for (long sent = 0; sent < total; sent += chunk.length) {
                        java.util.Arrays.fill(chunk, (byte) (sent / chunk.length));
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "test-writer");
            writer.setDaemon(true);
            writer.start();
            try {
                RecvStream recv = accepted.get(10, TimeUnit.SECONDS);
                // one read: from now on the stream reads ahead, as far as READ_AHEAD, and no further
                Optional<ByteBuffer> first = recv.read().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertThat(first).isPresent();
                long stalled = 0;
                for (int i = 0; i < 50 && stalled < 3; i++) { // until what the writer got rid of stops growing
                    long before = written.get();
                    Thread.sleep(200);
                    stalled = written.get() == before ? stalled + 1 : 0;
                }
                // the receiver's window per stream (16 MiB) + the read-ahead + what the writer keeps in flight (1 MiB)
                long bound = 16L * 1024 * 1024 + QuicStream.READ_AHEAD + 2L * 1024 * 1024;
                assertThat(written.get()).as("bytes the sender got rid of while the reader stopped").isLessThan(bound).isLessThan(total);
                // reading on: everything comes, in order
                long n = first.get().remaining();
                byte[] firstBytes = new byte[first.get().remaining()];
                first.get().get(firstBytes);
                assertThat(firstBytes[0]).isEqualTo((byte) 0);
                try (InputStream in = recv.inputStream()) {
                    byte[] buf = new byte[64 * 1024];
                    for (int r; (r = in.read(buf)) > 0; ) {
                        for (int k = 0; k < r; k++) {
                            long at = n + k;
                            if (buf[k] != (byte) (at / buf.length)) {
                                throw new AssertionError("byte " + at + " is " + buf[k] + ", expected " + (byte) (at / buf.length));
                            }
                        }
                        n += r;
                    }
                }
                assertThat(n).as("bytes read").isEqualTo(total);
            } finally {
                done.complete(null);
                writer.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
    }
}
