package org.quiver.testsupport;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector for the tests of a module that sets {@code io.netty.customResourceLeakDetector} to this class:
 * it reports as netty's does, and also records each leak so that {@link LeakGateExtension} fails the test class
 * that leaked. Records are shared by every detector (one per resource type) and guarded by the list.
 */
public final class LeakGate<T> extends ResourceLeakDetector<T> {
    private static final List<String> LEAKS = new ArrayList<>();

    public LeakGate(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /** The constructor netty looks for first (it logs an error when it is missing, then takes the other). */
    public LeakGate(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        record(resourceType + " was released never:" + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        record(resourceType + " was released never (no records)");
        super.reportUntracedLeak(resourceType);
    }

    private static void record(String leak) {
        synchronized (LEAKS) {
            LEAKS.add(leak);
        }
    }

    /** The leaks reported since the last call, which forgets them. */
    public static List<String> drain() {
        synchronized (LEAKS) {
            List<String> out = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return out;
        }
    }
}
