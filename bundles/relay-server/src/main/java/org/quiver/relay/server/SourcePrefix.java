package org.quiver.relay.server;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What the relay's per-source limits count as one source: an IPv4 address, or an IPv6 /64. One host (or one home
 * LAN) holds a whole /64 and may use any of its 2^64 addresses, so counting IPv6 addresses one by one would let
 * it open {@link RelayCore.Limits#perAddress()} connections from each, and let a spoofer spread STUN requests
 * over a victim's /64 (which all reach the victim's link) for a fresh budget each. Stateless; any thread.
 */
final class SourcePrefix {
    private SourcePrefix() {
    }

    /** {@code address} itself (IPv4), or its /64 with the interface id zeroed and no scope (IPv6). */
    static InetAddress of(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        java.util.Arrays.fill(b, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException impossible) { // 16 bytes are always an address
            throw new IllegalStateException(impossible);
        }
    }
}
