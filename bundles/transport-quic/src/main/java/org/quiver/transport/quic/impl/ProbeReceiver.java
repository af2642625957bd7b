package org.quiver.transport.quic.impl;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.quiver.api.EndpointId;

/**
 * What happens to a probe that arrives: its tag checked (a forged, misdirected or replayed one validates nothing
 * and is dropped and counted), a ping answered with a pong from the socket it came to (pings of senders we have no
 * peer for are budgeted per source IP by a {@link StrangerBudget}, so a spoofed source cannot aim our answers
 * anywhere), the path it came by learnt as a candidate, and a pong matched to the ping it answers. Also keeps the
 * pings of peers whose connection is still in its handshake (bounded), and our own addresses as peers' pongs
 * reported them.
 *
 * <p>Event loop only (the observed addresses are read from any thread, under their lock). Part of the
 * {@link PathLayer}; owns no thread and nothing to stop.
 */
final class ProbeReceiver {
    private final PathLayer layer;
    private final StrangerBudget strangers = new StrangerBudget(PathLayer.STRANGER_BURST, PathLayer.STRANGER_PER_SECOND);
    private final java.util.LinkedHashSet<InetSocketAddress> observed = new java.util.LinkedHashSet<>();
    /** Paths pinged from by peers not yet identified by a connection: most recently pinged first to stay. */
    private final java.util.LinkedHashMap<EndpointId, List<PathAddr>> early = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<EndpointId, List<PathAddr>> eldest) {
            return size() > PathLayer.MAX_EARLY_PEERS;
        }
    };

    ProbeReceiver(PathLayer layer) {
        this.layer = layer;
    }

    /** A probe arrived from {@code from} (a datagram with the QUIC fixed bit clear, neither STUN nor a call). */
    void onProbe(PathAddr from, byte[] datagram, long now) {
        layer.probesReceived.increment();
        Probe.Result r = datagram.length == Probe.LENGTH ? Probe.decode(datagram, layer.identity.id(), layer.selfBytes, layer.keysAt(now))
                : new Probe.Result(null, Probe.Reject.MALFORMED);
        if (r.probe() == null) {
            layer.probesDropped.increment();
            return;
        }
        Probe p = r.probe();
        if (from instanceof PathAddr.Direct d) {
            layer.authenticated.accept(d.socket());
        }
        PathTable.Peer peer = layer.paths.byId(p.sender);
        if (from instanceof PathAddr.Relay && (peer == null || !from.equals(peer.relay))) {
            layer.probesDropped.increment(); // relayed from one id, signed by another
            return;
        }
        if (p.type == Probe.PING) {
            if (peer != null && !firstSight(peer, p.tx)) {
                layer.probesDropped.increment(); // a replayed ping
                return;
            }
            if (peer == null && !strangers.take(((PathAddr.Direct) from).socket().getAddress(), now)) { // (a relayed one has a peer)
                // nobody we know: answers to one source IP are budgeted, so a spoofed source cannot aim them anywhere
                layer.strangersLimited.increment();
                layer.probesDropped.increment();
                return;
            }
            // answer from the socket it came to, telling the pinger where we saw it come from
            layer.out.send(from, Probe.encode(Probe.PONG, p.tx, layer.identity.id(), p.sender, PathLayer.probeAddress(from), layer.keys.keyFor(p.sender).mac()));
            layer.probesSent.increment();
            if ((peer == null || peer.candidates == null) && layer.reachable(from)) {
                // perhaps a peer whose connection is still in its handshake: remember where it pinged from
                List<PathAddr> seen = early.computeIfAbsent(p.sender, k -> new ArrayList<>(2));
                if (!seen.contains(from) && seen.size() < PathLayer.MAX_EARLY_ADDRESSES) {
                    seen.add(from);
                }
            } else if (layer.reachable(from)) {
                // the peer can reach us from there: a path to try (validated only by our own probe)
                layer.paths.learn(peer, from);
                Candidate<PathAddr> c = peer.candidates.get(from);
                if (c == null) {
                    PathLayer.add(peer.candidates, from, CandidateSet.Source.OBSERVED);
                    layer.probeDue(peer, now);
                } else if (peer.candidates.punchBack(c, now)) {
                    // its ping got through, so its NAT now lets ours through too (our first may have been dropped
                    // there): punch back at once; at most once per gap, so that two nodes' punch-backs never chain
                    layer.probeDue(peer, now);
                }
            }
            return;
        }
        // a pong: valid only as the answer to a ping we sent on that very path
        Candidate<PathAddr> c = peer == null || peer.candidates == null ? null : peer.candidates.get(from);
        if (c == null || peer.candidates.pongReceived(c, p.tx, now) < 0) {
            layer.probesDropped.increment();
            return;
        }
        layer.paths.learn(peer, from);
        if (from instanceof PathAddr.Direct) {
            noteObserved(p.address); // through a relay the peer sees no address of ours
        }
        layer.reselect(peer);
    }

    /** The paths {@code id} pinged from before its connection was identified (forgotten now), or null. */
    List<PathAddr> earlyPings(EndpointId id) {
        return early.remove(id);
    }

    /** Whether ping {@code tx} of {@code peer} is new (then remembered), not a replay of one of its last pings. */
    static boolean firstSight(PathTable.Peer peer, long tx) {
        for (long seen : peer.seenPings) {
            if (seen == tx) {
                return false;
            }
        }
        peer.seenPings[peer.seenPingsNext] = tx;
        peer.seenPingsNext = (peer.seenPingsNext + 1) % peer.seenPings.length;
        return true;
    }

    private void noteObserved(InetSocketAddress a) {
        synchronized (observed) {
            observed.remove(a);
            observed.add(a);
            if (observed.size() > PathLayer.MAX_OBSERVED) {
                observed.remove(observed.iterator().next());
            }
        }
    }

    /** This endpoint's addresses as peers' pongs reported them, most recent last (any thread). */
    List<InetSocketAddress> observedAddresses() {
        synchronized (observed) {
            return List.copyOf(observed);
        }
    }
}
