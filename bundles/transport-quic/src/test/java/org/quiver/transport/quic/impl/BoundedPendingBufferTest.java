package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.quiver.transport.quic.impl.BoundedPendingBuffer.Limits;
import org.quiver.transport.quic.impl.BoundedPendingBuffer.Reason;

/** The seed plan's section 1.1 cases, plus the limits it lacked and a property over random operations. */
class BoundedPendingBufferTest {
    private static final int MAX_BYTES = 1024 * 1024;
    private static final int MAX_MESSAGES = 100;
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<String> told = new ArrayList<>();

    private BoundedPendingBuffer<String, byte[]> buffer(long maxBytes, int maxMessages, Duration ttl) {
        return new BoundedPendingBuffer<>(new Limits(maxBytes, maxMessages, ttl, 1024, 64L << 20), m -> m.length, clock::get,
                (peer, m, reason) -> told.add(peer + ":" + reason + ":" + m.length));
    }

    private BoundedPendingBuffer<String, byte[]> buffer() {
        return buffer(MAX_BYTES, MAX_MESSAGES, Duration.ofSeconds(30));
    }

    @Test
    void enforcesTheByteLimitByDroppingTheOldest() {
        BoundedPendingBuffer<String, byte[]> b = buffer();
        b.push("p", new byte[MAX_BYTES / 2]);
        b.push("p", new byte[MAX_BYTES / 2]);
        b.push("p", new byte[100]);
        assertThat(b.totalBytes("p")).isEqualTo(MAX_BYTES / 2 + 100);
        assertThat(b.messageCount("p")).isEqualTo(2);
        assertThat(told).containsExactly("p:OVERFLOW:" + MAX_BYTES / 2);
        assertThat(b.stats().dropped()).isEqualTo(1);
    }

    @Test
    void enforcesTheMessageLimitByDroppingTheOldest() {
        BoundedPendingBuffer<String, byte[]> b = buffer(MAX_BYTES, 10, Duration.ofSeconds(30));
        for (int i = 0; i < 10; i++) {
            b.push("p", new byte[] {(byte) i});
        }
        b.push("p", new byte[] {10});
        assertThat(b.messageCount("p")).isEqualTo(10);
        assertThat(b.peekOldest("p")[0]).isEqualTo((byte) 1);
    }

    @Test
    void expiresOldEntriesAndSaysSo() {
        BoundedPendingBuffer<String, byte[]> b = buffer(MAX_BYTES, MAX_MESSAGES, Duration.ofMillis(50));
        b.push("p", new byte[] {1, 2, 3});
        clock.addAndGet(Duration.ofMillis(30).toNanos());
        b.push("p", new byte[] {4});
        assertThat(b.messageCount("p")).isEqualTo(2);
        assertThat(b.cleanupExpired()).isZero();
        clock.addAndGet(Duration.ofMillis(25).toNanos());
        assertThat(b.cleanupExpired()).isEqualTo(1);
        assertThat(b.messageCount("p")).isEqualTo(1);
        assertThat(b.totalBytes("p")).as("the seed's version subtracted the kept entries' bytes").isEqualTo(1);
        clock.addAndGet(Duration.ofMillis(30).toNanos());
        assertThat(b.cleanupExpired()).isEqualTo(1);
        assertThat(b.messageCount("p")).isZero();
        assertThat(b.stats()).isEqualTo(new BoundedPendingBuffer.Stats(0, 0, 0, 0, 2));
        assertThat(told).containsExactly("p:EXPIRED:3", "p:EXPIRED:1");
    }

    @Test
    void popReturnsOldestFirst() {
        BoundedPendingBuffer<String, byte[]> b = buffer();
        b.push("p", new byte[] {1});
        b.push("p", new byte[] {2});
        b.push("p", new byte[] {3});
        assertThat(b.pop("p")).containsExactly(1);
        assertThat(b.pop("p")).containsExactly(2);
        assertThat(b.pop("p")).containsExactly(3);
        assertThat(b.pop("p")).isNull();
        assertThat(b.peekOldest("p")).isNull();
        assertThat(b.stats().peers()).as("an empty peer is forgotten").isZero();
    }

    @Test
    void clearPeerTellsTheListener() {
        BoundedPendingBuffer<String, byte[]> b = buffer();
        b.push("p", new byte[] {1, 2, 3});
        b.push("p", new byte[] {4, 5, 6});
        b.push("q", new byte[] {7});
        assertThat(b.clearPeer("p")).isEqualTo(2);
        assertThat(b.messageCount("p")).isZero();
        assertThat(b.totalBytes("p")).isZero();
        assertThat(told).containsExactly("p:CLEARED:3", "p:CLEARED:3");
        assertThat(b.clearPeer("nobody")).isZero();
        b.clear();
        assertThat(told).hasSize(3).last().isEqualTo("q:CLEARED:1");
        assertThat(b.stats()).isEqualTo(new BoundedPendingBuffer.Stats(0, 0, 0, 0, 0));
    }

    @Test
    void stats() {
        BoundedPendingBuffer<String, byte[]> b = buffer();
        b.push("p1", new byte[] {1, 2, 3});
        b.push("p2", new byte[] {4, 5});
        BoundedPendingBuffer.Stats s = b.stats();
        assertThat(s.peers()).isEqualTo(2);
        assertThat(s.messages()).isEqualTo(2);
        assertThat(s.bytes()).isEqualTo(5);
        assertThat(b.toString()).contains("2 peers");
    }

    @Test
    void drainTakesEverythingInOrder() {
        BoundedPendingBuffer<String, byte[]> b = buffer();
        b.push("p", new byte[] {1});
        b.push("p", new byte[] {2, 2});
        assertThat(b.drain("p")).extracting(m -> m.length).containsExactly(1, 2);
        assertThat(b.drain("p")).isEmpty();
        assertThat(b.stats().bytes()).isZero();
        assertThat(told).isEmpty();
    }

    @Test
    void aMessageLargerThanThePeerLimitIsRefused() {
        BoundedPendingBuffer<String, byte[]> b = buffer(100, 10, Duration.ofSeconds(1));
        b.push("p", new byte[60]);
        assertThatThrownBy(() -> b.push("p", new byte[101])).isInstanceOf(BoundedPendingBuffer.MessageTooLargeException.class)
                .hasMessageContaining("101 bytes").hasMessageContaining("100 bytes");
        assertThat(b.messageCount("p")).as("nothing dropped for a refused message").isEqualTo(1);
        b.push("p", new byte[100]);
        assertThat(told).containsExactly("p:OVERFLOW:60");
    }

    @Test
    void peersAndTotalBytesAreBoundedWithoutEvictingOthers() {
        BoundedPendingBuffer<String, byte[]> b = new BoundedPendingBuffer<>(new Limits(100, 10, Duration.ofSeconds(1), 2, 150),
                m -> m.length, clock::get, (p, m, r) -> told.add(p + ":" + r));
        b.push("a", new byte[100]);
        assertThatThrownBy(() -> b.push("b", new byte[60])).isInstanceOf(BoundedPendingBuffer.BufferFullException.class)
                .hasMessageContaining("150");
        b.push("b", new byte[50]);
        assertThatThrownBy(() -> b.push("c", new byte[1])).isInstanceOf(BoundedPendingBuffer.BufferFullException.class)
                .hasMessageContaining("2 peers");
        // a peer may still replace its own old data within the total
        b.push("a", new byte[100]);
        assertThat(told).containsExactly("a:OVERFLOW");
        assertThat(b.stats().bytes()).isEqualTo(150);
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> new Limits(0, 1, Duration.ofSeconds(1), 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Limits(10, 1, Duration.ofSeconds(1), 1, 5)).hasMessageContaining("total");
        assertThatThrownBy(() -> new Limits(10, 1, Duration.ZERO, 1, 10)).hasMessageContaining("ttl");
        assertThat(Limits.DEFAULT.maxBytesPerPeer()).isEqualTo(1 << 20);
        BoundedPendingBuffer<String, byte[]> b = buffer();
        assertThat(b.limits().maxMessagesPerPeer()).isEqualTo(MAX_MESSAGES);
        assertThatThrownBy(() -> new BoundedPendingBuffer<String, byte[]>(Limits.DEFAULT, m -> -1, clock::get, (p, m, r) -> { })
                .push("p", new byte[0])).hasMessageContaining("negative");
    }

    @Test
    void aFailingListenerBreaksNothing() {
        BoundedPendingBuffer<String, byte[]> b = new BoundedPendingBuffer<>(new Limits(10, 1, Duration.ofSeconds(1), 4, 40),
                m -> m.length, clock::get, (p, m, r) -> {
                    throw new IllegalStateException("listener bug");
                });
        b.push("p", new byte[1]);
        b.push("p", new byte[2]);
        assertThat(b.messageCount("p")).isEqualTo(1);
        assertThat(b.stats().dropped()).isEqualTo(1);
    }

    /**
     * Property: whatever the operations, no limit is ever passed, the totals agree with the peers, and
     * every message pushed is accounted for exactly once: still inside, taken, or told to the listener.
     */
    @Test
    void limitsHoldAndNothingIsLostWhateverTheOperations() {
        Random random = new Random(0x5eed_0011L);
        for (int run = 0; run < 300; run++) {
            long perPeer = 1 + random.nextInt(2_000);
            Limits limits = new Limits(perPeer, 1 + random.nextInt(20), Duration.ofMillis(1 + random.nextInt(100)),
                    1 + random.nextInt(8), perPeer * (1 + random.nextInt(4)));
            Map<byte[], String> fate = new IdentityHashMap<>();
            BoundedPendingBuffer<Integer, byte[]> b = new BoundedPendingBuffer<>(limits, m -> m.length, clock::get,
                    (p, m, r) -> assertThat(fate.put(m, r.name())).as("told once").isEqualTo("inside"));
            Map<Integer, Integer> expectCount = new HashMap<>();
            for (int step = 0; step < 400; step++) {
                int peer = random.nextInt(10);
                switch (random.nextInt(10)) {
                    case 0, 1, 2, 3 -> {
                        byte[] m = new byte[random.nextInt((int) limits.maxBytesPerPeer() + 50)];
                        try {
                            b.push(peer, m);
                            fate.put(m, "inside");
                        } catch (BoundedPendingBuffer.MessageTooLargeException | BoundedPendingBuffer.BufferFullException refused) {
                            assertThat(m.length > limits.maxBytesPerPeer() || refused instanceof BoundedPendingBuffer.BufferFullException).isTrue();
                        }
                    }
                    case 4 -> {
                        byte[] m = b.pop(peer);
                        if (m != null) {
                            assertThat(fate.put(m, "taken")).isEqualTo("inside");
                        }
                    }
                    case 5 -> b.drain(peer).forEach(m -> assertThat(fate.put(m, "taken")).isEqualTo("inside"));
                    case 6 -> b.clearPeer(peer);
                    case 7 -> clock.addAndGet(random.nextInt(40) * 1_000_000L);
                    case 8 -> b.cleanupExpired();
                    default -> b.stats();
                }
                BoundedPendingBuffer.Stats s = b.stats();
                long inside = fate.values().stream().filter("inside"::equals).count();
                assertThat(s.messages()).as("run %d step %d", run, step).isEqualTo(inside);
                assertThat(s.bytes()).isLessThanOrEqualTo(limits.maxTotalBytes());
                assertThat(s.peers()).isLessThanOrEqualTo(limits.maxPeers());
                long sum = 0;
                for (int p = 0; p < 10; p++) {
                    assertThat(b.totalBytes(p)).isLessThanOrEqualTo(limits.maxBytesPerPeer());
                    assertThat(b.messageCount(p)).isLessThanOrEqualTo(limits.maxMessagesPerPeer());
                    sum += b.totalBytes(p);
                    expectCount.put(p, b.messageCount(p));
                }
                assertThat(s.bytes()).isEqualTo(sum);
                assertThat(s.messages()).isEqualTo(expectCount.values().stream().mapToLong(Integer::longValue).sum());
            }
        }
    }
}
