package org.quiver.shell.impl;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * A one-line progress bar, redrawn at most every 200 ms and at each 2% step. A transfer that resumes starts
 * part-filled: the bar shows the part the receiver had as '=' and says "resumed"; the rate counts what moves now.
 */
final class Progress implements LongConsumer {
    private static final int WIDTH = 40;
    private final PrintStream out;
    private final long total;
    private final long t0 = System.nanoTime();
    private long lastDraw;
    private int lastPercent = -1;
    private long start = -1;

    Progress(PrintStream out, long total) {
        this.out = out;
        this.total = Math.max(total, 1);
    }

    @Override
    public void accept(long done) {
        if (start < 0) {
            start = done; // the first report is where the transfer starts: 0, or what the receiver kept
        }
        int percent = (int) (done * 100 / total);
        long now = System.nanoTime();
        if (percent / 2 != lastPercent / 2 || now - lastDraw > 200_000_000L) {
            lastPercent = percent;
            lastDraw = now;
            int filled = percent * WIDTH / 100;
            int kept = (int) Math.min(filled, start * WIDTH / total);
            double mbps = (done - start) / 1e6 / Math.max((now - t0) / 1e9, 1e-9);
            out.printf(Locale.ROOT, "\r[%s%s%s] %3d%% %.1f MB/s%s", "=".repeat(kept), "#".repeat(filled - kept), " ".repeat(WIDTH - filled),
                    percent, mbps, start > 0 ? " (resumed)" : "");
            out.flush();
        }
    }

    void done() {
        accept(total);
        out.println();
    }
}
