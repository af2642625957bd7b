package org.quiver.relay.server;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.quiver.api.EndpointId;
import org.quiver.relay.protocol.RelayFrame;

/**
 * What a relay does, without the network: each connection is a {@link Session} that the network adapter
 * feeds with the frames its client sends ({@link Session#received}) and drains of the frames to send back
 * ({@link Session#poll}, after {@link Transport#wake}).
 * <ul>
 *   <li>a session starts with a {@link RelayFrame.ServerChallenge}; until the client answers with a
 *       {@link RelayFrame.ClientAuth} whose signature verifies and that names this relay ({@code names}: a
 *       login signed for another relay is no use here), anything else closes it, and a bad signature or a wrong
 *       relay is denied and closed: an unauthenticated client can neither send nor receive;</li>
 *   <li>an authenticated client's datagrams go to the session of their destination id, tagged with the
 *       sender's id; a destination that is not connected is answered with {@link RelayFrame.EndpointGone}. A burst
 *       of datagrams in one segmented frame ({@link RelayFrame.ClientToRelayDatagrams}, from a client whose transport
 *       {@linkplain Transport#segments() takes them}) goes on as one frame to a receiver that takes them, cut into
 *       single datagrams for one that does not;</li>
 *   <li>a second session with the same id replaces the first (which is told, then closed);</li>
 *   <li>bounds: at most {@link Limits#maxClients} sessions (more are refused), {@link Limits#queueFrames}
 *       datagrams queued per client (a burst counts as the datagrams it holds; a slow client loses its oldest
 *       frames, counted by their datagrams, in O(1) each), at most
 *       {@link #MAX_CONTROL} control frames queued per client (a client that lets more pile up is not reading:
 *       it is closed), pings answered {@link #PING_BURST} at once and {@link #PINGS_PER_SECOND} a second (more
 *       are dropped, counted), and a token bucket of {@link Limits#bytesPerSecond} per client on what it sends
 *       (over it, datagrams are dropped, counted, and the client is told once per second with a
 *       {@link RelayFrame.Status}).</li>
 * </ul>
 * Thread-safe: sessions may live on different threads.
 */
public final class RelayCore {
    /**
     * The relay's limits.
     *
     * @param maxClients     sessions at once
     * @param queueFrames    frames queued towards one client
     * @param bytesPerSecond datagram bytes one client may send per second, sustained
     * @param burstBytes     and in a burst
     * @param perAddress     connections from one IP address at once (TCP accepted, whatever their state); more are
     *                       closed at once
     */
    public record Limits(int maxClients, int queueFrames, long bytesPerSecond, long burstBytes, int perAddress) {
        /** Connections from one IP address by default: room for a NAT with many nodes behind it, not for one flooder. */
        public static final int PER_ADDRESS = 256;
        /** iroh's 512 queued frames per client; 10,000 clients; 4 MiB/s per client with 8 MiB bursts; 256 per IP. */
        public static final Limits DEFAULT = new Limits(10_000, 512, 4L << 20, 8L << 20);

        public Limits {
            if (maxClients < 1 || queueFrames < 1 || bytesPerSecond < 1 || burstBytes < RelayFrame.MAX_DATAGRAM || perAddress < 1) {
                throw new IllegalArgumentException("relay limits must be positive, the burst at least one datagram: " + maxClients
                        + " clients, " + queueFrames + " frames, " + bytesPerSecond + " B/s, burst " + burstBytes + ", " + perAddress + " per IP");
            }
        }

        /** Limits with {@link #PER_ADDRESS} connections per IP address. */
        public Limits(int maxClients, int queueFrames, long bytesPerSecond, long burstBytes) {
            this(maxClients, queueFrames, bytesPerSecond, burstBytes, PER_ADDRESS);
        }
    }

    /** Control frames (pongs, endpoint-gone notices, status...) queued for one client, at most; then it is closed. */
    public static final int MAX_CONTROL = 64;
    /** Pings of one client answered at once, and per second after that; more are dropped. */
    public static final int PING_BURST = 16;
    public static final int PINGS_PER_SECOND = 10;

    /** The network side of one session. Both methods must not block. */
    public interface Transport {
        /** Frames are waiting in {@link Session#poll()}. */
        void wake();

        /** Close the connection (after writing what is queued, if it can); {@code reason} is for logs. */
        void close(String reason);

        /**
         * Whether the client asked for segmented datagram frames (it is told the relay takes them when it logs in, and
         * is sent bursts as one frame). Known when the transport opens its session. By default not.
         */
        default boolean segments() {
            return false;
        }
    }

    /**
     * A snapshot of the relay.
     *
     * @param sessions      connected sessions (authenticated or not)
     * @param authenticated authenticated sessions
     * @param forwarded     datagrams forwarded
     * @param dropped       datagrams dropped: slow receivers and rate limits
     * @param refused       sessions refused or closed for bad input (no room, failed auth, protocol errors)
     */
    public record Stats(int sessions, int authenticated, long forwarded, long dropped, long refused) {}

    private final Limits limits;
    private final LongSupplier nanoClock;
    private final SecureRandom random = new SecureRandom();
    private final Map<EndpointId, Session> byId = new ConcurrentHashMap<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final LongAdder forwarded = new LongAdder();
    /** Segmented frames (bursts) taken from clients. */
    private final LongAdder segmentedIn = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder pingsDropped = new LongAdder();
    private final LongAdder wrongRelay = new LongAdder();

    /** Logins refused because they were signed for another relay (a relay passing our challenges on, or a misconfigured name). */
    public long wrongRelayLogins() {
        return wrongRelay.sum();
    }

    /** Pings dropped because their client sent more than {@link #PINGS_PER_SECOND}. */
    public long pingsDropped() {
        return pingsDropped.sum();
    }

    private final java.util.function.Predicate<String> names;

    /**
     * A relay core with {@code limits}, its time from {@code nanoClock}, that accepts logins signed for a relay
     * authority ({@code host:port}) for which {@code names} is true.
     */
    public RelayCore(Limits limits, LongSupplier nanoClock, java.util.function.Predicate<String> names) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.names = Objects.requireNonNull(names, "names");
    }

    /** A new connection: returns its session, which has queued the challenge; or null (then closed) when the relay is full. */
    public Session open(Transport transport) {
        if (sessions.incrementAndGet() > limits.maxClients) {
            sessions.decrementAndGet();
            refused.increment();
            transport.close("relay full: " + limits.maxClients + " clients");
            return null;
        }
        Session s = new Session(transport);
        s.enqueue(new RelayFrame.ServerChallenge(s.challenge));
        return s;
    }

    /** Tells every session the relay is restarting (clients reconnect after {@code reconnectInMillis}). */
    public void restarting(long reconnectInMillis, long tryForMillis) {
        for (Session s : byId.values()) {
            s.enqueue(new RelayFrame.Restarting(reconnectInMillis, tryForMillis));
        }
    }

    /** Segmented datagram frames (each a burst of datagrams) taken from clients so far; their datagrams count in {@link Stats#forwarded}. */
    public long segmentedFrames() {
        return segmentedIn.sum();
    }

    public Stats stats() {
        return new Stats(sessions.get(), byId.size(), forwarded.sum(), dropped.sum(), refused.sum());
    }

    public Limits limits() {
        return limits;
    }

    /** One client connection. */
    public final class Session {
        private final Transport transport;
        private final byte[] challenge = new byte[RelayFrame.CHALLENGE_LENGTH];
        /** Datagrams to the client (bounded, oldest dropped) and control frames (bounded, then closed). */
        private final ArrayDeque<RelayFrame> queue = new ArrayDeque<>();
        /** Datagrams in {@link #queue}: a segmented frame counts as the datagrams it holds. */
        private int queuedDatagrams;
        private final ArrayDeque<RelayFrame> control = new ArrayDeque<>();
        private double pingTokens = PING_BURST;
        private long pingRefilled = nanoClock.getAsLong();
        private volatile EndpointId id;
        private volatile boolean closed;
        private double tokens = limits.burstBytes;
        private long refilled = nanoClock.getAsLong();
        private long lastLimitNotice;
        private boolean limitNoticed;

        private Session(Transport transport) {
            this.transport = transport;
            random.nextBytes(challenge);
        }

        /** The id the client proved, once it has. */
        public EndpointId id() {
            return id;
        }

        /** Queues a keepalive ping for the client (answered with a pong by a live client). */
        public void ping(long payload) {
            enqueue(new RelayFrame.Ping(payload));
        }

        /** The next frame to send to the client (control frames first), or null. */
        public synchronized RelayFrame poll() {
            RelayFrame f = control.pollFirst();
            if (f != null) {
                return f;
            }
            f = queue.pollFirst();
            if (f != null) {
                queuedDatagrams -= datagrams(f);
            }
            return f;
        }

        /** How many datagrams a queued frame holds. */
        private static int datagrams(RelayFrame f) {
            return f instanceof RelayFrame.RelayToClientDatagrams d ? d.count() : 1;
        }

        /** Frames waiting to be sent, a segmented frame counted as the datagrams it holds. */
        public synchronized int queued() {
            return queuedDatagrams + control.size();
        }

        private void enqueue(RelayFrame f) {
            boolean overrun = false;
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (f instanceof RelayFrame.RelayToClientDatagram || f instanceof RelayFrame.RelayToClientDatagrams) {
                    int n = datagrams(f);
                    if (n > limits.queueFrames) { // a burst larger than the whole queue (a queue set below 64)
                        dropped.add(n);
                        return;
                    }
                    while (queuedDatagrams + n > limits.queueFrames) {
                        int old = datagrams(queue.pollFirst()); // a slow client loses its oldest datagrams
                        queuedDatagrams -= old;
                        dropped.add(old);
                    }
                    queue.addLast(f);
                    queuedDatagrams += n;
                } else if (f instanceof RelayFrame.EndpointGone && control.contains(f)) {
                    return; // already told about that destination: a burst of datagrams to it needs one notice
                } else if (control.size() >= MAX_CONTROL) {
                    overrun = true; // it does not read what it asks for
                } else {
                    control.addLast(f);
                }
            }
            if (overrun) {
                fail("not reading: " + MAX_CONTROL + " control frames queued");
                return;
            }
            transport.wake();
        }

        /** Token bucket on the client's pings. */
        private synchronized boolean takePing() {
            long now = nanoClock.getAsLong();
            pingTokens = Math.min(PING_BURST, pingTokens + (now - pingRefilled) * (PINGS_PER_SECOND / 1e9));
            pingRefilled = now;
            if (pingTokens < 1) {
                return false;
            }
            pingTokens -= 1;
            return true;
        }

        /** A frame the client sent. */
        public void received(RelayFrame f) {
            if (closed) {
                return; // a session that was stopped forwards nothing more
            }
            EndpointId me = id;
            if (me == null) {
                if (!(f instanceof RelayFrame.ClientAuth auth)) {
                    fail("a client must authenticate before it sends anything (got " + f.getClass().getSimpleName() + ")");
                    return;
                }
                if (!auth.verifies(challenge)) {
                    enqueue(new RelayFrame.ServerDeniesAuth("the signature does not verify for " + auth.id().shortString()));
                    fail("bad signature from " + auth.id().shortString());
                    return;
                }
                if (!names.test(auth.relay())) {
                    wrongRelay.increment();
                    enqueue(new RelayFrame.ServerDeniesAuth("this relay is not " + auth.relay() + ": a login is only valid at the relay it names"));
                    fail("a login signed for " + auth.relay() + " by " + auth.id().shortString());
                    return;
                }
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    id = auth.id();
                }
                Session previous = byId.put(auth.id(), this);
                if (previous != null && previous != this) {
                    previous.enqueue(new RelayFrame.Status(true, false));
                    previous.shutdown("replaced by a new connection of the same id");
                }
                enqueue(new RelayFrame.ServerConfirmsAuth(transport.segments() ? RelayFrame.FEATURE_SEGMENTS : 0));
                return;
            }
            if (f instanceof RelayFrame.ClientToRelayDatagram d) {
                Session to = destination(d.destination(), d.datagram().length, 1);
                if (to == null) {
                    return;
                }
                forwarded.increment();
                to.enqueue(new RelayFrame.RelayToClientDatagram(me, d.ecn(), d.datagram()));
            } else if (f instanceof RelayFrame.ClientToRelayDatagrams d) {
                if (!transport.segments()) { // it was not told it may: a client that does not keep to what it asked for
                    fail("a segmented datagram frame from a client that did not ask for them");
                    return;
                }
                Session to = destination(d.destination(), d.datagrams().length, d.count());
                if (to == null) {
                    return;
                }
                forwarded.add(d.count());
                segmentedIn.increment();
                if (to.transport.segments()) {
                    to.enqueue(new RelayFrame.RelayToClientDatagrams(me, d.ecn(), d.segmentSize(), d.datagrams()));
                    return;
                }
                byte[] all = d.datagrams();
                for (int at = 0; at < all.length; at += d.segmentSize()) { // at most MAX_SEGMENTS
                    to.enqueue(new RelayFrame.RelayToClientDatagram(me, d.ecn(), java.util.Arrays.copyOfRange(all, at, Math.min(all.length, at + d.segmentSize()))));
                }
            } else if (f instanceof RelayFrame.Ping p) {
                if (takePing()) {
                    enqueue(new RelayFrame.Pong(p.payload()));
                } else {
                    pingsDropped.increment();
                }
            } else if (f instanceof RelayFrame.Pong) {
                // an answer to our keepalive: the connection is alive, nothing to do
            } else {
                fail("not a frame a client sends: " + f.getClass().getSimpleName());
            }
        }

        /**
         * The session of {@code destination} for {@code datagrams} datagrams of {@code bytes} bytes in all from this
         * client, or null: over the client's rate (dropped, counted, the client told), or not connected (the client
         * told it is gone).
         */
        private Session destination(EndpointId destination, int bytes, int datagrams) {
            if (!take(bytes)) {
                dropped.add(datagrams);
                limited();
                return null;
            }
            Session to = byId.get(destination);
            if (to == null) {
                enqueue(new RelayFrame.EndpointGone(destination));
            }
            return to;
        }

        /** The client went over its rate: it is told, at most once a second. */
        private void limited() {
            long now = nanoClock.getAsLong();
            if (!limitNoticed || now - lastLimitNotice >= TimeUnit.SECONDS.toNanos(1)) {
                limitNoticed = true;
                lastLimitNotice = now;
                enqueue(new RelayFrame.Status(false, true));
            }
        }

        /** Token bucket on the client's datagram bytes. */
        private synchronized boolean take(int bytes) {
            long now = nanoClock.getAsLong();
            tokens = Math.min(limits.burstBytes, tokens + (now - refilled) * (limits.bytesPerSecond / 1e9));
            refilled = now;
            if (tokens < bytes) {
                return false;
            }
            tokens -= bytes;
            return true;
        }

        /** Bytes that did not decode as a frame: this client is closed, nobody else is affected. */
        public void malformed(String why) {
            fail("malformed frame: " + why);
        }

        /** Closes a client that did not log in in time or went silent. */
        public void expire(String why) {
            fail(why);
        }

        private void fail(String reason) {
            if (deregister()) {
                refused.increment();
                transport.close(reason);
            }
        }

        /** Stops the session now (its slot and id are free at once); the transport flushes what is queued, then closes. */
        private void shutdown(String reason) {
            if (deregister()) {
                transport.close(reason);
            }
        }

        private boolean deregister() {
            EndpointId me;
            synchronized (this) {
                if (closed) {
                    return false;
                }
                closed = true; // nothing more is queued; what is queued is still polled
                me = id;
            }
            sessions.decrementAndGet();
            if (me != null) {
                byId.remove(me, this);
            }
            return true;
        }

        /** The connection is gone (closed by either side). Idempotent. */
        public void closed() {
            deregister();
            synchronized (this) {
                queue.clear();
                queuedDatagrams = 0;
                control.clear();
            }
        }

        @Override
        public String toString() {
            EndpointId me = id;
            return "Session{" + (me == null ? "unauthenticated" : me.shortString()) + "}";
        }
    }
}
