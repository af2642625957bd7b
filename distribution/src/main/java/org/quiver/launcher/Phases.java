package org.quiver.launcher;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * With {@code --timing}: one line on stderr per phase of the start (and stop) of the node, with the time since the
 * launcher's {@code main} began, so that a slow start shows where it went. Off, it prints nothing. Used by the
 * launcher's main thread only.
 */
final class Phases {
    private final PrintStream err;
    private final long t0;

    private Phases(PrintStream err, long t0) {
        this.err = err;
        this.t0 = t0;
    }

    /** Prints to {@code err} if {@code on}, counting from {@code t0} ({@link System#nanoTime()}). */
    static Phases of(boolean on, PrintStream err, long t0) {
        return new Phases(on ? err : null, t0);
    }

    /** Marks the end of a phase: {@code quiver: <what> at <ms> ms}. */
    void done(String what) {
        if (err != null) {
            err.printf("quiver: %s at %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
    }
}
