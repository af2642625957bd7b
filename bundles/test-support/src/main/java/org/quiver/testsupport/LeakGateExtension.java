package org.quiver.testsupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After every test class of a module with this jar on its test classpath (registered by service loading, enabled by
 * this jar's junit-platform.properties): collects
 * garbage, lets netty's leak detector look (it reports while tracking new buffers), and fails the class if a
 * leak was reported. A leak found here was made by this class or, rarely, by one that ran before it and whose
 * buffer the collector found only now: the report's records say where it was touched.
 */
public final class LeakGateExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " netty buffer leak(s) reported after " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Makes the detector report what the collector finds unreachable now, and returns (forgets) every leak reported. */
    public static List<String> collect() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(20);
            for (int i = 0; i < 64; i++) { // each tracked allocation polls the detector's queue
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                a.release();
                b.release();
            }
        }
        return LeakGate.drain();
    }
}
