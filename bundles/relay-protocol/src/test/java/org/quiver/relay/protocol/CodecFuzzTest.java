package org.quiver.relay.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Jazzer fuzz target for the frame decoder. In the normal test run it replays the inputs in
 * {@code src/test/resources/.../CodecFuzzTestInputs/} (regression mode); {@code JAZZER_FUZZ=1 mvn test
 * -Dtest=CodecFuzzTest} fuzzes for real and adds what it finds there.
 */
class CodecFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void decodingIsTotal(byte[] input) {
        RelayFrame frame;
        try {
            frame = Codec.decode(ByteBuffer.wrap(input));
        } catch (MalformedFrameException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("a rejection must say why");
            }
            return;
        }
        byte[] again = Codec.encode(frame).array();
        if (!Arrays.equals(again, input)) {
            throw new AssertionError("decoded " + frame + " but it encodes to other bytes");
        }
    }

    /** A message as a relay or client reads it: its frames (a batch or one), each decoded; refusals say why. */
    @FuzzTest(maxDuration = "10m")
    void readingAMessageIsTotal(byte[] input) {
        byte[] message = input.length > 0 && (input[0] & 1) == 0 ? withMarker(input) : input; // batches half the time
        try {
            for (ByteBuffer one : Codec.frames(ByteBuffer.wrap(message))) {
                Codec.decode(one);
            }
        } catch (MalformedFrameException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("a rejection must say why");
            }
        }
    }

    private static byte[] withMarker(byte[] input) {
        byte[] b = input.clone();
        b[0] = Codec.BATCH;
        return b;
    }
}
