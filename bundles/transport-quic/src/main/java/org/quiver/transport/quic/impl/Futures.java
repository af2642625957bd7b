package org.quiver.transport.quic.impl;

import io.netty.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;
import org.quiver.api.QuiverException;

/** Netty futures as CompletionStages, with failures as {@link QuiverException}s that say what failed. */
final class Futures {
    private Futures() {
    }

    static <T> CompletableFuture<T> adapt(Future<T> future, String what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.addListener(f -> {
            if (f.isSuccess()) {
                result.complete(future.getNow());
            } else {
                result.completeExceptionally(failure(what, f.cause()));
            }
        });
        return result;
    }

    static QuiverException failure(String what, Throwable cause) {
        if (cause instanceof QuiverException) {
            return (QuiverException) cause;
        }
        String detail = cause == null ? "cancelled" : cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new QuiverException(what + ": " + detail, cause);
    }
}
