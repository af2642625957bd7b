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
 *
 * <p>The futures of connections and streams complete on the endpoint's event loop, and continuations attached
 * without an executor run there too. A wait on that thread would wait for itself: so every blocking view
 * ({@link #await}, a stream's {@code inputStream()} and {@code outputStream()}) fails at once with an
 * {@link IllegalStateException} on a thread the transport has marked ({@link #markNonBlocking}), instead of
 * deadlocking the endpoint. See the package documentation for the whole threading contract.
 */
public final class Blocking {
    /** What the current thread is, when it must never block (set by the transport on its event loops). */
    private static final ThreadLocal<String> NON_BLOCKING = new ThreadLocal<>();

    private Blocking() {
    }

    /**
     * For transports: marks the calling thread as one that must never block ({@code what} names it in errors,
     * e.g. "a Quiver endpoint's event loop"). Blocking views then fail fast on it.
     */
    public static void markNonBlocking(String what) {
        NON_BLOCKING.set(java.util.Objects.requireNonNull(what, "what"));
    }

    /** Whether the calling thread may block (it is not an event loop). */
    public static boolean mayBlock() {
        return NON_BLOCKING.get() == null;
    }

    /**
     * Throws unless the calling thread may block.
     *
     * @param call what was about to block, for the message
     * @throws IllegalStateException on an event loop, saying why and what to do instead
     */
    public static void checkMayBlock(String call) {
        String what = NON_BLOCKING.get();
        if (what != null) {
            throw new IllegalStateException(call + " would block " + what + " (thread " + Thread.currentThread().getName()
                    + "), which completes the very result it would wait for: a deadlock. Continue asynchronously"
                    + " (thenAccept, whenComplete; they run on this thread, so they must not block either), or hand"
                    + " the work to another thread (thenAcceptAsync with an executor).");
        }
    }

    /**
     * Waits for {@code stage} and returns its result.
     *
     * @throws QuiverException      the failure of the stage (unwrapped), or a timeout; a non-Quiver failure
     *                              is wrapped in one that names it
     * @throws InterruptedException if the thread was interrupted while waiting (the stage goes on)
     * @throws IllegalStateException on an event loop (see {@link #checkMayBlock}): blocking there deadlocks
     */
    public static <T> T await(CompletionStage<T> stage, Duration timeout) throws QuiverException, InterruptedException {
        checkMayBlock("Blocking.await");
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
