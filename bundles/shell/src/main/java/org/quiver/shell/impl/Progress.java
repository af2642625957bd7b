package org.quiver.shell.impl;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongConsumer;

/** A one-line progress bar, redrawn at most every 200 ms and at each 2% step. */
final class Progress implements LongConsumer {
    private static final int WIDTH = 40;
    private final PrintStream out;
    private final long total;
    private final long t0 = System.nanoTime();
    private long lastDraw;
    private int lastPercent = -1;

    Progress(PrintStream out, long total) {
        this.out = out;
        this.total = Math.max(total, 1);
    }

    @Override
    public void accept(long done) {
        int percent = (int) (done * 100 / total);
        long now = System.nanoTime();
        if (percent / 2 != lastPercent / 2 || now - lastDraw > 200_000_000L) {
            lastPercent = percent;
            lastDraw = now;
            int filled = percent * WIDTH / 100;
            double mbps = done / 1e6 / Math.max((now - t0) / 1e9, 1e-9);
            out.printf(Locale.ROOT, "\r[%s%s] %3d%% %.1f MB/s", "#".repeat(filled), " ".repeat(WIDTH - filled), percent, mbps);
            out.flush();
        }
    }

    void done() {
        accept(total);
        out.println();
    }
}
