package org.quiver.launcher;

import java.io.PrintStream;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;

/**
 * With {@code --timing}: how long the framework's start-level thread spent on each bundle, from its STARTING event to
 * the next bundle's (or to the end of the start), which includes the activation of its DS components (SCR activates
 * them in its own listener of the bundle's STARTED event, after this one's), so that the slowest show where a start's
 * time went. Events come on the start-level thread; the launcher's main thread reads the table once the node has
 * started and removes the listener then.
 */
final class BundleStartTimes implements SynchronousBundleListener {
    private final Map<String, Long> took = new ConcurrentHashMap<>();
    private String current;
    private long since;

    @Override
    public synchronized void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.STARTING) {
            long now = System.nanoTime();
            close(now);
            current = String.valueOf(event.getBundle().getSymbolicName());
            since = now;
        }
    }

    private void close(long now) {
        if (current != null) {
            took.merge(current, now - since, Long::sum);
            current = null;
        }
    }

    /** Prints the {@code n} slowest starts on one line and stops listening. */
    synchronized void print(BundleContext context, PrintStream err, int n) {
        context.removeBundleListener(this);
        close(System.nanoTime());
        StringBuilder line = new StringBuilder("quiver: slowest bundle starts:");
        took.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(n)
                .forEach(e -> line.append(' ').append(e.getKey()).append(' ').append(TimeUnit.NANOSECONDS.toMillis(e.getValue())).append(" ms,"));
        line.setLength(line.length() - 1);
        err.println(line);
    }
}
