package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.quiver.internal.stun.Stun;

/**
 * The endpoint's reflexive addresses: how the internet sees its QUIC socket, learned by asking STUN servers
 * (the relays' responders, or any standard server) from that very socket. A round asks every server once
 * every {@link #ROUND_NANOS}; an unanswered request is sent again after 0.5 s and 1 s, then given up. An
 * answer counts only if it comes from the server asked, to a transaction outstanding, and parses as a
 * Binding success (fingerprint checked); everything else is dropped and counted. An answer older than
 * three rounds no longer counts. When two servers see the same IP with different ports, the NAT maps per
 * destination ("symmetric"): then the reflexive port is no use to peers, and {@link #mappingVaries} says
 * so.
 *
 * <p>Plain Java; runs on the endpoint's event loop only (except the counters).
 */
final class Reflexive {
    /** How often the servers are asked. */
    static final long ROUND_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** The first retransmission gap; it doubles. */
    static final long RETRANSMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Requests per transaction at most. */
    static final int ATTEMPTS = 3;
    /** STUN servers asked at most. */
    static final int MAX_SERVERS = 8;

    /** Sends a datagram from the QUIC socket. */
    interface Output {
        void send(InetSocketAddress to, byte[] datagram);
    }

    private static final class Pending {
        final InetSocketAddress server;
        final byte[] tx;
        long lastSent;
        int attempts;

        Pending(InetSocketAddress server, byte[] tx) {
            this.server = server;
            this.tx = tx;
        }
    }

    private record Answer(InetSocketAddress mapped, long at) {
    }

    private final Output out;
    private final Consumer<List<InetSocketAddress>> changed;
    private final SecureRandom random = new SecureRandom();
    private List<InetSocketAddress> servers = List.of();
    private final Map<ByteBuffer, Pending> pending = new HashMap<>();
    private final Map<InetSocketAddress, Answer> answers = new LinkedHashMap<>();
    private List<InetSocketAddress> addresses = List.of();
    private long nextRound;
    private boolean roundDue = true;
    final LongAdder requests = new LongAdder();
    final LongAdder answered = new LongAdder();
    final LongAdder timedOut = new LongAdder();
    final LongAdder dropped = new LongAdder();

    /** {@code changed} is told (on the loop) whenever the set of reflexive addresses changes. */
    Reflexive(Output out, Consumer<List<InetSocketAddress>> changed) {
        this.out = out;
        this.changed = changed;
    }

    /** The STUN servers to ask from now on (at most {@link #MAX_SERVERS}); a new round starts at the next tick. */
    void servers(List<InetSocketAddress> list) {
        List<InetSocketAddress> fresh = List.copyOf(list.subList(0, Math.min(list.size(), MAX_SERVERS)));
        if (fresh.equals(servers)) {
            return;
        }
        servers = fresh;
        pending.values().removeIf(p -> !fresh.contains(p.server));
        if (answers.keySet().retainAll(fresh)) {
            recompute();
        }
        roundDue = true;
    }

    /** The servers asked. */
    List<InetSocketAddress> servers() {
        return servers;
    }

    /** Asks again at the next tick (the network may have changed). */
    void refresh() {
        roundDue = true;
    }

    /** Periodic work: a round when due, retransmissions, give-ups, stale answers. */
    void tick(long now) {
        if ((roundDue || now - nextRound >= 0) && !servers.isEmpty()) {
            roundDue = false;
            nextRound = now + ROUND_NANOS;
            for (InetSocketAddress s : servers) {
                boolean asking = false;
                for (Pending p : pending.values()) {
                    asking |= p.server.equals(s);
                }
                if (!asking) {
                    byte[] tx = new byte[12];
                    random.nextBytes(tx);
                    Pending p = new Pending(s, tx);
                    pending.put(ByteBuffer.wrap(tx), p);
                    send(p, now);
                }
            }
        }
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (now - p.lastSent >= RETRANSMIT_NANOS << (p.attempts - 1)) {
                if (p.attempts >= ATTEMPTS) {
                    it.remove();
                    timedOut.increment();
                } else {
                    send(p, now);
                }
            }
        }
        if (answers.values().removeIf(a -> now - a.at() > 3 * ROUND_NANOS)) {
            recompute();
        }
    }

    private void send(Pending p, long now) {
        p.attempts++;
        p.lastSent = now;
        requests.increment();
        out.send(p.server, Stun.bindingRequest(p.tx));
    }

    /** A STUN message arrived on the socket from {@code from}. */
    void onMessage(InetSocketAddress from, byte[] d, long now) {
        if (d.length < 20) {
            dropped.increment();
            return;
        }
        Pending p = pending.get(ByteBuffer.wrap(d, 8, 12));
        InetSocketAddress mapped = p == null || !p.server.equals(from) ? null : Stun.mappedAddress(d, p.tx);
        if (mapped == null) {
            dropped.increment(); // unasked, from elsewhere, or malformed
            return;
        }
        pending.remove(ByteBuffer.wrap(p.tx));
        answered.increment();
        Answer previous = answers.put(p.server, new Answer(mapped, now));
        if (previous == null || !previous.mapped().equals(mapped)) {
            recompute();
        }
    }

    private void recompute() {
        LinkedHashSet<InetSocketAddress> set = new LinkedHashSet<>();
        for (Answer a : answers.values()) {
            set.add(a.mapped());
        }
        List<InetSocketAddress> fresh = List.copyOf(set);
        if (!fresh.equals(addresses)) {
            addresses = fresh;
            changed.accept(fresh);
        }
    }

    /** The reflexive addresses the servers reported, as of now. */
    List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** Whether servers saw the same IP with different ports: the NAT maps per destination (symmetric). */
    boolean mappingVaries() {
        List<InetSocketAddress> seen = new ArrayList<>();
        for (Answer a : answers.values()) {
            for (InetSocketAddress s : seen) {
                if (s.getAddress().equals(a.mapped().getAddress()) && s.getPort() != a.mapped().getPort()) {
                    return true;
                }
            }
            seen.add(a.mapped());
        }
        return false;
    }
}
