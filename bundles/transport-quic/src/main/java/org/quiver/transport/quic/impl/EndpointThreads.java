package org.quiver.transport.quic.impl;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The endpoint's two kinds of thread: its one event loop (the sockets, both QUIC codecs, every connection and all
 * path state run on it) and the pool that runs protocol handlers, discovery publishing, STUN lookups and the
 * completions of {@code send}. Also the periodic tasks on the loop, each run guarded.
 *
 * <p>Any thread may hand work to either. The endpoint owns this and stops both at the end of its close
 * ({@link #stop}); work handed over after that is dropped (the endpoint is closed, there is nothing left to do).
 */
final class EndpointThreads {
    private final EventLoopGroup group;
    final EventLoop loop;
    final ThreadPoolExecutor pool;
    /** Periodic tasks that threw (each run is caught: netty never runs a fixed-rate task again once it threw). */
    final LongAdder periodicFailures = new LongAdder();

    EndpointThreads(int handlerThreads) {
        IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        DefaultThreadFactory loopThreads = new DefaultThreadFactory("quiver-endpoint", true);
        // the loop thread is marked: a blocking view called on it fails fast instead of deadlocking the endpoint
        java.util.concurrent.ThreadFactory marked = r -> loopThreads.newThread(() -> {
            org.quiver.api.Blocking.markNonBlocking("a Quiver endpoint's event loop");
            r.run();
        });
        this.group = new MultiThreadIoEventLoopGroup(1, marked, io);
        this.loop = group.next();
        // Every thread up to the limit is used before anything queues (a pool with no core threads would run
        // one handler at a time); idle threads end after 30 s.
        this.pool = new ThreadPoolExecutor(handlerThreads, handlerThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(1_000), new DefaultThreadFactory("quiver-handler", true));
        pool.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code task} on the event loop; once the endpoint has closed there is nothing left to do. */
    void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException closed) {
            // the loop has stopped: the endpoint is closed
        }
    }

    /** Runs {@code task} on the loop after {@code nanos}. */
    void schedule(Runnable task, long nanos) {
        try {
            loop.schedule(task, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            // closed
        }
    }

    /** Runs {@code task} on the pool; false if the pool is stopped or full. */
    boolean offPool(Runnable task) {
        try {
            pool.execute(task);
            return true;
        } catch (RejectedExecutionException closingOrBusy) {
            return false;
        }
    }

    /** What {@code read} returns, read on the loop (at once if this is the loop); for status and tests. */
    <T> T onLoopGet(Callable<T> read) {
        try {
            return loop.inEventLoop() ? read.call() : loop.submit(read).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("The endpoint's loop did not answer: " + e, e);
        }
    }

    /** Runs {@code task} on the loop every {@code periodNanos}; a run that throws is counted, and the next one runs. */
    void periodic(Runnable task, long periodNanos) {
        loop.scheduleAtFixedRate(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                periodicFailures.increment();
            }
        }, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    /** Stops the pool at once (returning what never ran) and then the loop; {@code stopped} runs when the loop is gone. */
    java.util.List<Runnable> stop(Runnable stopped) {
        java.util.List<Runnable> leftOver = pool.shutdownNow();
        group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).addListener(f -> stopped.run());
        return leftOver;
    }

    /** Stops both at once (a constructor that failed). */
    void abort() {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        pool.shutdownNow();
    }
}
