package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Notices a change of network: the set of addresses the socket can be reached at (for a wildcard bind, every up
 * interface's address of its family; see {@link OwnAddress#directAddresses}) differs from the last look. Looked at
 * every {@code interval} by polling, not netlink: the JDK has no netlink, and a look costs ~0.18 ms on this machine
 * (0.07 % of a core at the default four looks a second). A change is handed to the event loop with the addresses before and after.
 *
 * <p>Threads: the look runs on the handler pool (it makes system calls; never on the loop), started by a periodic
 * task of the endpoint's loop, at most one look at a time; the change is told on the loop. Owns no thread; it stops
 * with the endpoint's loop and pool.
 */
final class NetworkWatch {
    /** A change of network: the addresses before and after, and when it was seen. */
    record Change(List<InetSocketAddress> before, List<InetSocketAddress> after, Instant at) {
    }

    private final Supplier<List<InetSocketAddress>> source;
    private final EndpointThreads threads;
    private final Clock clock;
    private final Consumer<Change> changed;
    private final AtomicBoolean looking = new AtomicBoolean();
    private volatile List<InetSocketAddress> last;
    private volatile Change lastChange;

    NetworkWatch(Supplier<List<InetSocketAddress>> source, List<InetSocketAddress> initial, EndpointThreads threads, Clock clock,
                 Consumer<Change> changed) {
        this.source = source;
        this.last = List.copyOf(initial);
        this.threads = threads;
        this.clock = clock;
        this.changed = changed;
    }

    /** Looks now, on the pool (unless a look is under way or the pool is busy: then at the next period). */
    void look() {
        if (!looking.compareAndSet(false, true)) {
            return;
        }
        if (!threads.offPool(this::lookNow)) {
            looking.set(false);
        }
    }

    private void lookNow() {
        try {
            List<InetSocketAddress> now = List.copyOf(source.get());
            List<InetSocketAddress> before = last;
            if (!now.isEmpty() && !new java.util.HashSet<>(now).equals(new java.util.HashSet<>(before))) {
                last = now;
                Change c = new Change(before, now, clock.instant());
                lastChange = c;
                threads.onLoop(() -> changed.accept(c));
            }
        } catch (RuntimeException e) {
            // an interface vanished while it was listed: the next look sees the network as it is then
        } finally {
            looking.set(false);
        }
    }

    /** The last change seen, or null. */
    Change lastChange() {
        return lastChange;
    }
}
