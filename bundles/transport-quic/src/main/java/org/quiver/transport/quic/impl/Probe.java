package org.quiver.transport.quic.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * Quiver's path probes: signed ping and pong datagrams on the endpoint's UDP socket. Their first byte has
 * the QUIC fixed bit (0x40) clear, so they never look like QUIC. Fixed layout, {@link #LENGTH} bytes:
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
 *   93..156 signature   Ed25519 by the sender over "quiver-probe-v1" followed by bytes 0..92
 * </pre>
 * Binding the recipient stops a probe from being replayed to another node; the transaction makes each
 * pong answer one ping, once. Plain Java; parsing never throws on bad input.
 */
final class Probe {
    static final int LENGTH = 157;
    static final byte PING = 0x01;
    static final byte PONG = 0x02;
    static final byte VERSION = 0x01;
    private static final int SIGNED = 93;
    private static final byte[] CONTEXT = "quiver-probe-v1".getBytes(StandardCharsets.US_ASCII);

    final byte type;
    final long tx;
    final EndpointId sender;
    final EndpointId recipient;
    final InetSocketAddress address;

    Probe(byte type, long tx, EndpointId sender, EndpointId recipient, InetSocketAddress address) {
        this.type = type;
        this.tx = tx;
        this.sender = sender;
        this.recipient = recipient;
        this.address = address;
    }

    /** The signed datagram of a probe from {@code identity}. */
    static byte[] encode(byte type, long tx, LocalIdentity identity, EndpointId recipient, InetSocketAddress address) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put(type).put(VERSION).putLong(tx).put(identity.id().toBytes()).put(recipient.toBytes());
        byte[] ip = address.getAddress().getAddress();
        b.put((byte) (ip.length == 4 ? 4 : 6));
        b.put(Arrays.copyOf(ip, 16));
        b.putShort((short) address.getPort());
        byte[] out = b.array();
        byte[] signature = identity.sign(signedPart(out));
        System.arraycopy(signature, 0, out, SIGNED, 64);
        return out;
    }

    private static byte[] signedPart(byte[] datagram) {
        byte[] msg = new byte[CONTEXT.length + SIGNED];
        System.arraycopy(CONTEXT, 0, msg, 0, CONTEXT.length);
        System.arraycopy(datagram, 0, msg, CONTEXT.length, SIGNED);
        return msg;
    }

    /** Why a datagram was not accepted as a probe. */
    enum Reject { MALFORMED, NOT_FOR_US, BAD_SIGNATURE }

    /** The outcome of {@link #decode}: a verified probe, or the reason it was rejected. */
    static final class Result {
        final Probe probe;
        final Reject reject;

        private Result(Probe probe, Reject reject) {
            this.probe = probe;
            this.reject = reject;
        }
    }

    /**
     * Parses and authenticates a datagram addressed to {@code self}: a well-formed probe, meant for us,
     * signed by the key it names as sender. Cheap checks come first; the signature is checked last.
     */
    static Result decode(byte[] d, EndpointId self) {
        if (d.length != LENGTH || (d[0] != PING && d[0] != PONG) || d[1] != VERSION || (d[74] != 4 && d[74] != 6)) {
            return new Result(null, Reject.MALFORMED);
        }
        if (!Arrays.equals(d, 42, 74, self.toBytes(), 0, 32)) {
            return new Result(null, Reject.NOT_FOR_US);
        }
        EndpointId sender;
        InetSocketAddress address;
        try {
            sender = EndpointId.fromBytes(Arrays.copyOfRange(d, 10, 42));
            byte[] ip = Arrays.copyOfRange(d, 75, d[74] == 4 ? 79 : 91);
            address = new InetSocketAddress(InetAddress.getByAddress(ip), ((d[91] & 0xff) << 8) | (d[92] & 0xff));
        } catch (IllegalArgumentException | UnknownHostException e) {
            return new Result(null, Reject.MALFORMED);
        }
        if (sender.equals(self)) {
            return new Result(null, Reject.MALFORMED); // our own probe reflected back
        }
        if (!sender.verify(signedPart(d), Arrays.copyOfRange(d, SIGNED, LENGTH))) {
            return new Result(null, Reject.BAD_SIGNATURE);
        }
        return new Result(new Probe(d[0], ByteBuffer.wrap(d, 2, 8).getLong(), sender, self, address), null);
    }

    @Override
    public String toString() {
        return (type == PING ? "ping" : "pong") + " tx=" + Long.toHexString(tx) + " from " + sender.shortString() + " addr " + address;
    }
}
