package org.quiver.api;

/** Thrown to a {@link Watcher} waiting on a {@link Watchable} whose owner has closed it. */
public class WatchableClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public WatchableClosedException(String message) {
        super(message);
    }
}
