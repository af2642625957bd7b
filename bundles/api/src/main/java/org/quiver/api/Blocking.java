package org.quiver.api;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Blocking use of Quiver's asynchronous API from ordinary threads (never from a Quiver callback):
 * {@code Connection c = Blocking.await(endpoint.connect(addr, "my/1"), Duration.ofSeconds(10));}
 */
public final class Blocking {
    private Blocking() {
    }

    /**
     * Waits for {@code stage} and returns its result.
     *
     * @throws QuiverException      the failure of the stage (unwrapped), or a timeout; a non-Quiver failure
     *                              is wrapped in one that names it
     * @throws InterruptedException if the thread was interrupted while waiting (the stage goes on)
     */
    public static <T> T await(CompletionStage<T> stage, Duration timeout) throws QuiverException, InterruptedException {
        Future<T> future = stage.toCompletableFuture();
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new QuiverException("Timed out after " + timeout.toMillis() + " ms", e);
        } catch (CancellationException e) {
            throw new QuiverException("Cancelled", e);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    static QuiverException unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof QuiverException) {
            return (QuiverException) t;
        }
        return new QuiverException(t.getClass().getSimpleName() + (t.getMessage() != null ? ": " + t.getMessage() : ""), t);
    }
}
