package org.quiver.transport.quic.impl;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * How the transport writes a socket address for people and for the API ({@code PathStatus.remote}, events,
 * {@code quiver:paths}): {@code 192.0.2.1:4433}, or {@code [2001:db8::1]:4433} with the IPv6 address in RFC 5952
 * form. Stateless; any thread.
 */
final class AddressText {
    private AddressText() {
    }

    /** Addresses as text, comma-separated (for events). */
    static String list(java.util.List<InetSocketAddress> all) {
        java.util.StringJoiner j = new java.util.StringJoiner(", ");
        for (InetSocketAddress a : all) {
            j.add(text(a));
        }
        return j.toString();
    }

    /** {@code 192.0.2.1:4433} or {@code [2001:db8::1]:4433}. */
    static String text(InetSocketAddress a) {
        if (a.getAddress() instanceof Inet6Address) {
            return "[" + compress(a.getAddress().getAddress()) + "]:" + a.getPort();
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return host + ":" + a.getPort();
    }

    /** RFC 5952 text of an IPv6 address: lowercase, the longest run (2+) of zero groups as "::". */
    static String compress(byte[] ip) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((ip[2 * i] & 0xff) << 8) | (ip[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
