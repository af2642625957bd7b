package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The seed plan's Watchable tests (section 3.1), in Java. */
class WatchableValueTest {
    @Test
    void getReturnsCurrentValue() {
        assertThat(new WatchableValue<>(42).get()).isEqualTo(42);
    }

    @Test
    void setUpdatesValue() {
        WatchableValue<Integer> w = new WatchableValue<>(0);
        assertThat(w.set(100)).isTrue();
        assertThat(w.get()).isEqualTo(100);
        assertThat(w.toString()).isEqualTo("value=100");
    }

    @Test
    void watcherIsNotifiedOnChangeFromAnotherThread() throws Exception {
        WatchableValue<Integer> w = new WatchableValue<>(0);
        Watcher<Integer> watcher = w.watch();
        CompletableFuture<Integer> next = watcher.changed().toCompletableFuture();
        assertThat(next).isNotDone();
        Thread t = new Thread(() -> w.set(42));
        t.start();
        assertThat(next.get(1, TimeUnit.SECONDS)).isEqualTo(42);
        t.join();
        assertThat(watcher.hasChanged()).isFalse();
    }

    @Test
    void multipleWatchersAllSeeTheChange() throws Exception {
        WatchableValue<Integer> w = new WatchableValue<>(0);
        Watcher<Integer> a = w.watch();
        Watcher<Integer> b = w.watch();
        w.set(99);
        assertThat(a.changed().toCompletableFuture().get(50, TimeUnit.MILLISECONDS)).isEqualTo(99);
        assertThat(b.awaitChange(Duration.ofMillis(50))).isEqualTo(99);
    }

    @Test
    void getOnWatcherReturnsCurrentWithoutWaiting() {
        WatchableValue<String> w = new WatchableValue<>("hello");
        Watcher<String> watcher = w.watch();
        assertThat(watcher.get()).isEqualTo("hello");
        w.set("world");
        assertThat(watcher.get()).isEqualTo("world");
        assertThat(watcher.hasChanged()).isTrue();
    }

    @Test
    void settingTheSameValueWakesNobody() {
        WatchableValue<Integer> w = new WatchableValue<>(42);
        Watcher<Integer> watcher = w.watch();
        assertThat(w.set(42)).isFalse();
        assertThat(watcher.hasChanged()).isFalse();
        assertThatThrownBy(() -> watcher.awaitChange(Duration.ofMillis(20)))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("No change of the value");
    }

    @Test
    void optionalValues() {
        WatchableValue<Optional<String>> w = new WatchableValue<>("home relay", Optional.empty());
        assertThat(w.get()).isEmpty();
        w.set(Optional.of("test"));
        assertThat(w.get()).contains("test");
    }

    @Test
    void noMissedUpdates_aChangeBetweenTwoWaitsIsSeen() throws Exception {
        WatchableValue<Integer> w = new WatchableValue<>(0);
        Watcher<Integer> watcher = w.watch();
        w.set(1);
        assertThat(watcher.awaitChange(Duration.ofSeconds(1))).isEqualTo(1);
        w.set(2); // before the watcher waits again
        w.set(3);
        assertThat(watcher.changed().toCompletableFuture().get(1, TimeUnit.SECONDS)).isEqualTo(3);
    }

    @Test
    void updateIsAtomicUnderContention() throws Exception {
        WatchableValue<Integer> w = new WatchableValue<>(0);
        int threads = 4;
        int perThread = 10_000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int j = 0; j < perThread; j++) {
                    w.update(v -> v + 1);
                }
            });
            ts[i].start();
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(w.get()).isEqualTo(threads * perThread);
    }

    @Test
    void closeWakesWaitersWithAClearErrorAndKeepsTheValue() throws Exception {
        WatchableValue<Integer> w = new WatchableValue<>("own address", 7);
        Watcher<Integer> watcher = w.watch();
        CompletableFuture<Integer> pending = watcher.changed().toCompletableFuture();
        w.close();
        w.close();
        assertThat(w.isClosed()).isTrue();
        assertThat(w.get()).isEqualTo(7);
        assertThatThrownBy(pending::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(WatchableClosedException.class)
                .hasMessageContaining("own address watchable is closed");
        assertThatThrownBy(() -> watcher.awaitChange(Duration.ofSeconds(1))).isInstanceOf(WatchableClosedException.class);
        assertThatThrownBy(() -> w.set(8)).isInstanceOf(WatchableClosedException.class);
        assertThat(watcher.hasChanged()).isFalse();
        assertThatThrownBy(() -> w.watch().changed().toCompletableFuture().join())
                .hasCauseInstanceOf(WatchableClosedException.class);
    }

    @Test
    void blockingWaiterWakesOnClose() throws Exception {
        WatchableValue<Integer> w = new WatchableValue<>(1);
        Watcher<Integer> watcher = w.watch();
        CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
            try {
                watcher.awaitChange(Duration.ofSeconds(5));
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(20);
        w.close();
        assertThat(failure.get(1, TimeUnit.SECONDS)).isInstanceOf(WatchableClosedException.class);
    }

    @Test
    void waitingDoesNotGrowStateWhenNothingChanges() throws Exception {
        // a polling loop of timed blocking waits must not accumulate anything
        WatchableValue<Integer> w = new WatchableValue<>(1);
        Watcher<Integer> watcher = w.watch();
        for (int i = 0; i < 1000; i++) {
            try {
                watcher.awaitChange(Duration.ofNanos(1));
            } catch (TimeoutException expected) {
                // nothing changed
            }
        }
        w.set(2);
        assertThat(watcher.awaitChange(Duration.ofMillis(10))).isEqualTo(2);
    }
}
