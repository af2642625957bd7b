package org.quiver.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * State that others watch: the endpoint's own address, its home relay, a connection's path and RTT.
 * Read the current value with {@link #get()} (never blocks, never locks), or {@link #watch()} it to
 * wait for changes.
 *
 * @param <T> the value type; values are immutable
 */
@ProviderType
public interface Watchable<T> {
    /** The current value. */
    T get();

    /** A watcher that has seen the current value; its next change is the next one after this call. */
    Watcher<T> watch();
}
