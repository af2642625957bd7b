package org.quiver.api;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One consumer's view of a {@link Watchable}. It remembers which value it has seen, so that a change
 * made between two calls is never missed; several quick changes may be seen as one (the latest wins).
 * A watcher is meant for one consumer thread at a time.
 */
@ProviderType
public interface Watcher<T> {
    /** The current value (does not mark it seen). */
    T get();

    /** Whether the value changed since this watcher last saw it. */
    boolean hasChanged();

    /**
     * Completes with the latest value once it differs from the last value this watcher saw (at once if
     * it already does), and marks it seen. Completes exceptionally with {@link WatchableClosedException}
     * when the watchable is closed.
     */
    CompletionStage<T> changed();

    /**
     * Blocks until the value differs from the last one seen, then returns the latest value and marks it
     * seen.
     *
     * @throws TimeoutException         if nothing changed within {@code timeout}
     * @throws WatchableClosedException if the watchable was closed
     */
    T awaitChange(Duration timeout) throws InterruptedException, TimeoutException;
}
