package org.quiver.transport.quic.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * Quiver's path probes: authenticated ping and pong datagrams on the endpoint's UDP socket. Their first
 * byte has the QUIC fixed bit (0x40) clear, so they never look like QUIC. Fixed layout, {@link #LENGTH}
 * bytes:
 * <pre>
 *   0      type         0x01 ping, 0x02 pong
 *   1      version      0x01
 *   2..9   transaction  8 random bytes chosen by the pinger; the pong repeats them
 *   10..41 sender       the sender's EndpointId (raw Ed25519 key)
 *   42..73 recipient    the EndpointId the sender means it for
 *   74     family       4 or 6
 *   75..90 address      ping: where the sender sent it; pong: where the ping came from (how the ponger
 *                       sees the pinger: its observed, possibly NATed, address); IPv4 in the first 4 bytes
 *   91..92 port
 *   93..124 tag         HMAC-SHA256 over bytes 0..92 under the pair's probe key
 * </pre>
 * The probe key is HMAC-SHA256(shared, "quiver-probe-v1"), where shared is the X25519 secret of the two
 * identity keys ({@link LocalIdentity#sharedSecret}): only the two endpoints can make or check a tag, at
 * well under a microsecond (an Ed25519 signature costs about a millisecond in the JDK). The tag covers
 * both ids, so a probe cannot be passed off as coming from or going to anyone else; the transaction makes
 * each pong answer one ping, once. Plain Java; parsing never throws on bad input.
 */
final class Probe {
    static final int LENGTH = 125;
    static final byte PING = 0x01;
    static final byte PONG = 0x02;
    /** A candidate announcement ("call me maybe"); variable length, see {@link #encodeCallMeMaybe}. */
    static final byte CALL_ME_MAYBE = 0x03;
    /** Addresses one call-me-maybe carries at most. */
    static final int MAX_CALL_ADDRESSES = 16;
    private static final int CALL_HEADER = 76;
    /** Call flag: the sender's NAT maps per destination (symmetric: STUN servers saw different ports). */
    static final int FLAG_HARD = 1;
    /** Call flag: the sender is behind a NAT (its reflexive address is none of its own). */
    static final int FLAG_NATED = 2;
    private static final int CALL_ENTRY = 19;
    private static final int TAG = 32;
    static final byte VERSION = 0x01;
    static final int AUTHENTICATED = 93;
    private static final byte[] LABEL = "quiver-probe-v1".getBytes(StandardCharsets.US_ASCII);

    final byte type;
    final long tx;
    final EndpointId sender;
    final InetSocketAddress address;

    private Probe(byte type, long tx, EndpointId sender, InetSocketAddress address) {
        this.type = type;
        this.tx = tx;
        this.sender = sender;
        this.address = address;
    }

    /** The probe MAC of the pair {@code identity}, {@code peer} (a new object: not thread-safe). */
    static Mac mac(LocalIdentity identity, EndpointId peer) {
        byte[] shared = identity.sharedSecret(peer);
        try {
            Mac derive = Mac.getInstance("HmacSHA256");
            derive.init(new SecretKeySpec(shared, "HmacSHA256"));
            byte[] key = derive.doFinal(LABEL);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            Arrays.fill(shared, (byte) 0);
            Arrays.fill(key, (byte) 0);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** The authenticated datagram of a probe from {@code sender} to {@code recipient}, tagged with their {@code mac}. */
    static byte[] encode(byte type, long tx, EndpointId sender, EndpointId recipient, InetSocketAddress address, Mac mac) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put(type).put(VERSION).putLong(tx).put(sender.toBytes()).put(recipient.toBytes());
        byte[] ip = address.getAddress().getAddress();
        b.put((byte) (ip.length == 4 ? 4 : 6));
        b.put(Arrays.copyOf(ip, 16));
        b.putShort((short) address.getPort());
        return tag(b.array(), AUTHENTICATED, mac);
    }

    /** Writes the HMAC of {@code out[0..tagged)} into the 32 bytes after it; returns {@code out}. */
    private static byte[] tag(byte[] out, int tagged, Mac mac) {
        mac.update(out, 0, tagged);
        try {
            mac.doFinal(out, tagged);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e); // 32 bytes are left: cannot happen
        }
        return out;
    }

    /** Why a datagram was not accepted as a probe. */
    enum Reject { MALFORMED, NOT_FOR_US, NO_KEY, BAD_TAG }

    /** Finds the MAC for a sender's raw key, or null (unknown key, or no budget to compute it now). */
    interface Keys {
        Keyed lookup(byte[] datagram, int senderOffset);
    }

    /** A sender's id and the MAC shared with it. */
    record Keyed(EndpointId id, Mac mac) {}

    /** The outcome of {@link #decode}: an authenticated probe, or the reason it was rejected. */
    record Result(Probe probe, Reject reject) {}

    /**
     * Parses and authenticates a datagram addressed to {@code self}: well-formed, meant for us, and tagged
     * under the key we share with the sender it names. Cheap checks first; the key lookup and tag last.
     */
    static Result decode(byte[] d, EndpointId self, byte[] selfBytes, Keys keys) {
        if (d.length != LENGTH || (d[0] != PING && d[0] != PONG) || d[1] != VERSION || (d[74] != 4 && d[74] != 6)) {
            return new Result(null, Reject.MALFORMED);
        }
        if (!Arrays.equals(d, 42, 74, selfBytes, 0, 32)) {
            return new Result(null, Reject.NOT_FOR_US);
        }
        if (Arrays.equals(d, 10, 42, selfBytes, 0, 32)) {
            return new Result(null, Reject.MALFORMED); // our own probe reflected back
        }
        InetSocketAddress address;
        try {
            byte[] ip = Arrays.copyOfRange(d, 75, d[74] == 4 ? 79 : 91);
            address = new InetSocketAddress(InetAddress.getByAddress(ip), ((d[91] & 0xff) << 8) | (d[92] & 0xff));
        } catch (UnknownHostException e) {
            return new Result(null, Reject.MALFORMED); // cannot happen for 4 or 16 bytes
        }
        Keyed keyed = keys.lookup(d, 10);
        if (keyed == null) {
            return new Result(null, Reject.NO_KEY);
        }
        keyed.mac.update(d, 0, AUTHENTICATED);
        byte[] tag = keyed.mac.doFinal();
        if (!MessageDigest.isEqual(tag, Arrays.copyOfRange(d, AUTHENTICATED, LENGTH))) {
            return new Result(null, Reject.BAD_TAG);
        }
        return new Result(new Probe(d[0], ByteBuffer.wrap(d, 2, 8).getLong(), keyed.id, address), null);
    }

    /**
     * A "call me maybe" from {@code sender} to {@code recipient}: the addresses the sender may be reachable
     * at (its interfaces', its reflexive ones), sent through the relay so that the recipient probes them while
     * the sender probes the recipient's: both NATs open at once. Layout:
     * <pre>
     *   0      type         0x03
     *   1      version      0x01
     *   2..9   transaction  8 random bytes (a replayed call is recognised and ignored)
     *   10..41 sender       the sender's EndpointId
     *   42..73 recipient    the EndpointId the call is meant for
     *   74     count        n, 0..16
     *   75     flags        {@link #FLAG_HARD}, {@link #FLAG_NATED}; other bits zero
     *   76..   n entries    family (4 or 6), 16 address bytes (IPv4 in the first 4), 2 port bytes (reflexive first)
     *   then   tag          HMAC-SHA256 over everything before it, under the pair's probe key
     * </pre>
     */
    static byte[] encodeCallMeMaybe(long tx, EndpointId sender, EndpointId recipient, java.util.List<InetSocketAddress> addresses, Mac mac) {
        return encodeCallMeMaybe(tx, sender, recipient, addresses, 0, mac);
    }

    /** A call with {@code flags} ({@link #FLAG_HARD}, {@link #FLAG_NATED}). */
    static byte[] encodeCallMeMaybe(long tx, EndpointId sender, EndpointId recipient, java.util.List<InetSocketAddress> addresses, int flags,
                                    Mac mac) {
        int n = Math.min(addresses.size(), MAX_CALL_ADDRESSES);
        ByteBuffer b = ByteBuffer.allocate(CALL_HEADER + n * CALL_ENTRY + TAG);
        b.put(CALL_ME_MAYBE).put(VERSION).putLong(tx).put(sender.toBytes()).put(recipient.toBytes()).put((byte) n).put((byte) flags);
        for (int i = 0; i < n; i++) {
            InetSocketAddress a = addresses.get(i);
            byte[] ip = a.getAddress().getAddress();
            b.put((byte) (ip.length == 4 ? 4 : 6)).put(Arrays.copyOf(ip, 16)).putShort((short) a.getPort());
        }
        byte[] out = b.array();
        return tag(out, out.length - TAG, mac);
    }

    /** An authenticated call-me-maybe. */
    record Call(long tx, EndpointId sender, java.util.List<InetSocketAddress> addresses, int flags) {
        boolean hard() {
            return (flags & FLAG_HARD) != 0;
        }

        boolean nated() {
            return (flags & FLAG_NATED) != 0;
        }
    }

    /** The outcome of {@link #decodeCallMeMaybe}: a call, or why it was rejected. */
    record CallResult(Call call, Reject reject) {}

    /** Whether {@code d} could be a call-me-maybe (type and length); cheap. */
    static boolean isCallMeMaybe(byte[] d) {
        return d.length >= CALL_HEADER + TAG && d[0] == CALL_ME_MAYBE && (d.length - CALL_HEADER - TAG) % CALL_ENTRY == 0;
    }

    /** Parses and authenticates a call-me-maybe addressed to {@code self}; never throws on bad input. */
    static CallResult decodeCallMeMaybe(byte[] d, byte[] selfBytes, Keys keys) {
        if (!isCallMeMaybe(d) || d[1] != VERSION || (d[74] & 0xff) > MAX_CALL_ADDRESSES || (d[75] & ~(FLAG_HARD | FLAG_NATED)) != 0
                || d.length != CALL_HEADER + (d[74] & 0xff) * CALL_ENTRY + TAG) {
            return new CallResult(null, Reject.MALFORMED);
        }
        if (!Arrays.equals(d, 42, 74, selfBytes, 0, 32)) {
            return new CallResult(null, Reject.NOT_FOR_US);
        }
        if (Arrays.equals(d, 10, 42, selfBytes, 0, 32)) {
            return new CallResult(null, Reject.MALFORMED);
        }
        int n = d[74] & 0xff;
        java.util.List<InetSocketAddress> addresses = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = CALL_HEADER + i * CALL_ENTRY;
            if (d[at] != 4 && d[at] != 6) {
                return new CallResult(null, Reject.MALFORMED);
            }
            try {
                byte[] ip = Arrays.copyOfRange(d, at + 1, at + 1 + (d[at] == 4 ? 4 : 16));
                int port = ((d[at + 17] & 0xff) << 8) | (d[at + 18] & 0xff);
                if (port != 0) {
                    addresses.add(new InetSocketAddress(InetAddress.getByAddress(ip), port));
                }
            } catch (UnknownHostException e) {
                return new CallResult(null, Reject.MALFORMED); // cannot happen for 4 or 16 bytes
            }
        }
        Keyed keyed = keys.lookup(d, 10);
        if (keyed == null) {
            return new CallResult(null, Reject.NO_KEY);
        }
        int tagged = d.length - TAG;
        keyed.mac.update(d, 0, tagged);
        if (!MessageDigest.isEqual(keyed.mac.doFinal(), Arrays.copyOfRange(d, tagged, d.length))) {
            return new CallResult(null, Reject.BAD_TAG);
        }
        return new CallResult(new Call(ByteBuffer.wrap(d, 2, 8).getLong(), keyed.id, java.util.List.copyOf(addresses), d[75] & 0xff), null);
    }

    @Override
    public String toString() {
        return (type == PING ? "ping" : "pong") + " tx=" + Long.toHexString(tx) + " from " + sender.shortString() + " addr " + address;
    }
}
