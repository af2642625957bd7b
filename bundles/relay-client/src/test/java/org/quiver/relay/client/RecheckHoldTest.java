package org.quiver.relay.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** What {@link RecheckHold} keeps, for how long, and within which bounds; an injected clock (nanoseconds). */
class RecheckHoldTest {
    private static ByteBuffer frame(int seq, int size) {
        return ByteBuffer.allocate(size).putInt(0, seq);
    }

    @Test
    void recentFramesAreKeptForHalfASecondAndWhileTheConnectionIsInQuestionForAsLongAsItIs() {
        RecheckHold hold = new RecheckHold();
        hold.offer(frame(1, 100), 0, false);
        hold.offer(frame(2, 100), 400_000_000L, false);
        hold.offer(frame(3, 100), 600_000_000L, false); // frame 1 is 600 ms old now: let go
        assertThat(hold.size()).isEqualTo(2);
        hold.start(); // a recheck: nothing goes by age now
        hold.offer(frame(4, 100), 3_000_000_000L, true);
        assertThat(hold.size()).isEqualTo(3);
        assertThat(hold.take()).extracting(h -> h.frame().getInt(0)).containsExactly(2, 3, 4);
        assertThat(hold.holding()).isFalse();
        assertThat(hold.size()).isZero();
    }

    @Test
    void boundedInFramesAndBytesTheOldestLetGoFirstAndCounted() {
        RecheckHold hold = new RecheckHold();
        hold.start();
        for (int i = 0; i < RecheckHold.MAX_FRAMES + 10; i++) {
            hold.offer(frame(i, 100), i, true);
        }
        assertThat(hold.size()).isEqualTo(RecheckHold.MAX_FRAMES);
        assertThat(hold.stop()).as("frames kept instead of sent and let go: lost").isEqualTo(10);
        assertThat(hold.take()).as("the newest, to be written on the next connection").hasSize(RecheckHold.MAX_FRAMES)
                .first().satisfies(h -> assertThat(h.frame().getInt(0)).isEqualTo(10));
        for (int i = 0; i < 20; i++) {
            hold.offer(frame(i, 64 * 1024), 1000 + i, false);
        }
        assertThat(hold.size()).as("1 MiB at most").isEqualTo(RecheckHold.MAX_BYTES / (64 * 1024));
        assertThat(hold.offer(frame(0, RecheckHold.MAX_BYTES + 1), 2000, false)).as("larger than the whole hold").isFalse();
        assertThat(hold.clear()).as("copies of frames sent are not lost when forgotten").isZero();
        assertThat(hold.size()).isZero();
    }
}
