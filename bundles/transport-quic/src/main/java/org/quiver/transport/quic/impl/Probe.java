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
        byte[] out = b.array();
        mac.update(out, 0, AUTHENTICATED);
        try {
            mac.doFinal(out, AUTHENTICATED);
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

    @Override
    public String toString() {
        return (type == PING ? "ping" : "pong") + " tx=" + Long.toHexString(tx) + " from " + sender.shortString() + " addr " + address;
    }
}
