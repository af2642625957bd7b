package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class BlockingTest {
    @Test
    void returnsTheResult() throws Exception {
        assertThat(Blocking.await(CompletableFuture.completedFuture("x"), Duration.ofSeconds(1))).isEqualTo("x");
    }

    @Test
    void unwrapsQuiverExceptions() {
        QuiverException cause = new QuiverException("peer refused");
        CompletableFuture<String> failed = CompletableFuture.failedFuture(new CompletionException(cause));
        assertThatThrownBy(() -> Blocking.await(failed, Duration.ofSeconds(1))).isSameAs(cause);
    }

    @Test
    void wrapsOtherFailuresNamingThem() {
        CompletableFuture<String> failed = CompletableFuture.failedFuture(new IllegalStateException("boom"));
        assertThatThrownBy(() -> Blocking.await(failed, Duration.ofSeconds(1)))
                .isInstanceOf(QuiverException.class).hasMessage("IllegalStateException: boom");
        CompletableFuture<String> noMessage = CompletableFuture.failedFuture(new IllegalStateException());
        assertThatThrownBy(() -> Blocking.await(noMessage, Duration.ofSeconds(1))).hasMessage("IllegalStateException");
    }

    @Test
    void timesOutAndCancels() {
        assertThatThrownBy(() -> Blocking.await(new CompletableFuture<>(), Duration.ofMillis(10)))
                .isInstanceOf(QuiverException.class).hasMessage("Timed out after 10 ms");
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        assertThatThrownBy(() -> Blocking.await(cancelled, Duration.ofMillis(10))).hasMessage("Cancelled");
        assertThat(new QuiverException("a", new RuntimeException()).getCause()).isNotNull();
    }
}
