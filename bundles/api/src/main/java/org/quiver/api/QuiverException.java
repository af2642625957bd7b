package org.quiver.api;

import java.io.IOException;

/**
 * A Quiver operation failed: a dial, a stream, a lookup. The message says what failed and, where it is
 * known, why and what to do. Async results fail with it (possibly wrapped in a
 * {@link java.util.concurrent.CompletionException}); {@link Blocking#await} unwraps it.
 */
public class QuiverException extends IOException {
    private static final long serialVersionUID = 1L;

    public QuiverException(String message) {
        super(message);
    }

    public QuiverException(String message, Throwable cause) {
        super(message, cause);
    }
}
