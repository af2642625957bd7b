package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.quiver.testsupport.LeakGateExtension;

/** The gate that fails a test class on a netty leak really sees one: a buffer dropped without release. */
class LeakGateTest {
    @Test
    void aBufferNeverReleasedIsReported() throws Exception {
        assertThat(LeakGateExtension.collect()).as("nothing leaked before").isEmpty();
        leak();
        // the extension would fail this class; the test takes the report itself to show it is there
        assertThat(LeakGateExtension.collect()).singleElement().asString().contains("was released never")
                .contains("LeakGateTest.leak");
    }

    private static void leak() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeInt(42);
        b.touch("LeakGateTest.leak");
    }
}
