package org.quiver.api;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * The owner's side of a {@link Watchable}: holds a value, lets the owner {@link #set(Object)} it, and
 * wakes the watchers. Reads are one volatile load; {@code set} is lock-free (compare-and-set).
 *
 * <p>Memory stays bounded: there is one pending "next change" future at a time, replaced on each change,
 * and blocking waits ({@link Watcher#awaitChange}) attach nothing to it.
 *
 * @param <T> the value type; values should be immutable
 */
public final class WatchableValue<T> implements Watchable<T> {
    private static final class State<T> {
        final long version;
        final T value;
        final boolean closed;
        /** Completed, with the state that replaced this one, when this state is replaced. */
        final CompletableFuture<State<T>> next = new CompletableFuture<>();

        State(long version, T value, boolean closed) {
            this.version = version;
            this.value = value;
            this.closed = closed;
        }
    }

    private final AtomicReference<State<T>> state;
    private final String name;

    /** A watchable holding {@code initial} (may be null). */
    public WatchableValue(T initial) {
        this("value", initial);
    }

    /** A watchable with a name used in messages (e.g. "home relay"). */
    public WatchableValue(String name, T initial) {
        this.name = Objects.requireNonNull(name, "name");
        this.state = new AtomicReference<>(new State<>(0, initial, false));
    }

    @Override
    public T get() {
        return state.get().value;
    }

    /**
     * Sets the value. Setting a value equal to the current one changes nothing and wakes nobody.
     *
     * @return whether the value changed
     * @throws WatchableClosedException after {@link #close()}
     */
    public boolean set(T value) {
        return update(old -> value);
    }

    /**
     * Replaces the value with {@code f(current)}, atomically with respect to other updates ({@code f} may
     * run more than once under contention, so it must have no side effects).
     *
     * @return whether the value changed
     */
    public boolean update(UnaryOperator<T> f) {
        while (true) {
            State<T> current = state.get();
            if (current.closed) {
                throw new WatchableClosedException("The " + name + " watchable is closed");
            }
            T value = f.apply(current.value);
            if (Objects.equals(value, current.value)) {
                return false;
            }
            State<T> next = new State<>(current.version + 1, value, false);
            if (state.compareAndSet(current, next)) {
                current.next.complete(next);
                return true;
            }
        }
    }

    /** Closes it: the value stays readable, waiting and future watchers are told it is closed. Idempotent. */
    public void close() {
        while (true) {
            State<T> current = state.get();
            if (current.closed) {
                return;
            }
            State<T> closed = new State<>(current.version + 1, current.value, true);
            if (state.compareAndSet(current, closed)) {
                current.next.complete(closed);
                return;
            }
        }
    }

    public boolean isClosed() {
        return state.get().closed;
    }

    @Override
    public Watcher<T> watch() {
        return new ValueWatcher();
    }

    @Override
    public String toString() {
        return name + "=" + get();
    }

    private final class ValueWatcher implements Watcher<T> {
        private volatile long seen = state.get().version;

        @Override
        public T get() {
            return state.get().value;
        }

        @Override
        public boolean hasChanged() {
            State<T> s = state.get();
            return !s.closed && s.version != seen;
        }

        @Override
        public CompletionStage<T> changed() {
            State<T> s = state.get();
            if (s.version != seen || s.closed) {
                return CompletableFuture.completedFuture(null).thenApply(x -> take());
            }
            return s.next.thenApply(x -> take());
        }

        @Override
        public T awaitChange(Duration timeout) throws InterruptedException, TimeoutException {
            State<T> s = state.get();
            if (s.version == seen && !s.closed) {
                try {
                    s.next.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause()); // never completed exceptionally
                } catch (TimeoutException e) {
                    throw new TimeoutException("No change of the " + name + " within " + timeout);
                }
            }
            return take();
        }

        /** Marks the latest state seen and returns its value, or throws if the watchable is closed. */
        private T take() {
            State<T> latest = state.get();
            if (latest.closed) {
                throw new WatchableClosedException("The " + name + " watchable is closed");
            }
            seen = latest.version;
            return latest.value;
        }
    }
}
