package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * Which key exchange each handshake chose. netty does not say, so the router shows this every Initial packet
 * going either way: a client's Initial (ours or a peer's) leaves its Destination Connection ID on the peer, from
 * which the server's Initial keys follow ({@link InitialPackets}); the server's Initial (ours or a peer's) is
 * opened with them and the group its ServerHello names is the handshake's. The connection takes it from its peer
 * when its handshake is done. Two handshakes with one peer at the same moment could swap their answers; both
 * sides use one policy, so they would name the same group anyway.
 *
 * <p>Event loop only (the router's); the state is one small object per peer, forgotten with it. At most one
 * decryption per server Initial until the group is known, so a stranger's packets cost nothing more than
 * the AEAD check of a packet that does not open.
 */
final class KeyExchanges {
    /** The hybrid post-quantum group (ML-KEM-768 with X25519), IANA 0x11ec. */
    static final String HYBRID = "X25519MLKEM768";
    /** The classical group, IANA 0x001d. */
    static final String CLASSICAL = "X25519";
    /** What a connection reports when no ServerHello was seen (it cannot be read). */
    static final String UNKNOWN = "unknown";
    private static final int KEY_SHARE = 0x0033;
    private static final int PRE_SHARED_KEY = 0x0029;

    /** What a ServerHello says: the key-exchange group, and whether it resumed a session (it chose a pre-shared key). */
    record Hello(String group, boolean resumed) {
    }

    /** A peer's handshake as far as seen: the client's Initial DCID, and the group once the ServerHello named it. */
    static final class Seen {
        byte[] clientDcid;
        /** The server's CRYPTO data so far, until the ServerHello is whole (then dropped). */
        InitialPackets.Reassembly crypto;
        String group;
        boolean resumed;
        /** The client's CRYPTO data so far (server role, 0-RTT possible), until its ClientHello is whole. */
        InitialPackets.Reassembly hello;
        /** Whom the session ticket the ClientHello presents was issued to (server role), or null. */
        SessionTickets.Issued ticket;
    }

    /** The most CRYPTO data kept per handshake: a ServerHello with the hybrid share is ~1.2 KB. */
    private static final int MAX_HELLO = 2048;
    /** The most kept of a ClientHello: the hybrid share (~1.2 KB) and a ticket (~0.5 KB with a certificate). */
    static final int MAX_CLIENT_HELLO = 1200 + SessionTickets.MAX_TICKET;

    private KeyExchanges() {
    }

    /** A client's Initial to or from {@code peer}: a handshake starts (again), and its server's keys follow from it. */
    static void clientInitial(PathTable.Peer peer, ByteBuf packet) {
        byte[] head = ByteBufUtil.getBytes(packet, packet.readerIndex(), Math.min(packet.readableBytes(), 64));
        byte[] dcid = InitialPackets.dcid(head);
        if (dcid == null) {
            return;
        }
        Seen seen = peer.keyExchange;
        if (seen == null || !java.util.Arrays.equals(seen.clientDcid, dcid)) {
            seen = new Seen();
            seen.clientDcid = dcid;
            peer.keyExchange = seen;
        }
    }

    /**
     * A client's Initial that answers our Retry, to our server role, from {@code peer}: whom the session ticket its
     * ClientHello presents was issued to, if {@code ticketKey} sealed it (see {@link SessionTickets}). Only Initials
     * with a token are read (those without draw a Retry and come again); at most {@link #MAX_CLIENT_HELLO} bytes are
     * kept. Whether the name is used at all is decided by {@code Acceptor.early}.
     */
    static void resumingClient(PathTable.Peer peer, ByteBuf packet, io.netty.handler.codec.quic.SslSessionTicketKey ticketKey) {
        Seen seen = peer.keyExchange;
        if (seen == null || seen.ticket != null || seen.hello == InitialPackets.Reassembly.DONE) {
            return;
        }
        byte[] p = ByteBufUtil.getBytes(packet, packet.readerIndex(), packet.readableBytes());
        if (!InitialPackets.hasToken(p)) {
            return; // answered with a Retry; the ClientHello comes again with the token
        }
        if (seen.hello == null) {
            seen.hello = new InitialPackets.Reassembly(MAX_CLIENT_HELLO);
        }
        if (!InitialPackets.open(p, InitialPackets.keys(seen.clientDcid, false), seen.hello)) {
            return;
        }
        byte[] m = seen.hello.contiguous();
        if (m.length < 4 || m.length < 4 + ((m[1] & 0xff) << 16 | u16(m, 2))) {
            if (m.length >= MAX_CLIENT_HELLO) {
                seen.hello = InitialPackets.Reassembly.DONE; // larger than any we would resume: not looked at
            }
            return; // not all of it yet
        }
        byte[] ticket = clientHelloTicket(m);
        seen.ticket = ticket == null ? null : SessionTickets.open(ticket, ticketKey);
        seen.hello = InitialPackets.Reassembly.DONE;
    }

    /** Whom the session ticket of {@code peer}'s latest handshake with our server role was issued to, or null. */
    static SessionTickets.Issued ticket(PathTable.Peer peer) {
        Seen seen = peer == null ? null : peer.keyExchange;
        return seen == null ? null : seen.ticket;
    }

    /** The Destination Connection ID of {@code peer}'s latest client Initial, or null. */
    static byte[] clientDcid(PathTable.Peer peer) {
        Seen seen = peer == null ? null : peer.keyExchange;
        return seen == null ? null : seen.clientDcid;
    }

    /**
     * The first pre-shared key identity (the session ticket) of a ClientHello (TLS handshake bytes from its start),
     * or null when it has none or is not one. The first is the only one BoringSSL considers.
     */
    static byte[] clientHelloTicket(byte[] m) {
        try {
            if (m.length < 4 || m[0] != 0x01) {
                return null;
            }
            int end = Math.min(m.length, 4 + ((m[1] & 0xff) << 16 | u16(m, 2)));
            int at = 4 + 2 + 32; // handshake header, legacy_version, random
            at += 1 + (m[at] & 0xff); // legacy_session_id
            at += 2 + u16(m, at); // cipher suites
            at += 1 + (m[at] & 0xff); // compression methods
            end = Math.min(end, at + 2 + u16(m, at));
            at += 2;
            while (at + 4 <= end) {
                int type = u16(m, at);
                int length = u16(m, at + 2);
                if (type == PRE_SHARED_KEY && at + 4 + length <= end && length >= 4) {
                    int identities = u16(m, at + 4);
                    int identity = u16(m, at + 6);
                    if (identity == 0 || 2 + identity + 4 > identities || at + 8 + identity > end) {
                        return null;
                    }
                    return java.util.Arrays.copyOfRange(m, at + 8, at + 8 + identity);
                }
                at += 4 + length;
            }
            return null;
        } catch (ArrayIndexOutOfBoundsException truncated) {
            return null;
        }
    }

    /** A server's Initial to or from {@code peer}: once, the group its ServerHello names. */
    static void serverInitial(PathTable.Peer peer, ByteBuf packet) {
        Seen seen = peer.keyExchange;
        if (seen == null || seen.group != null) {
            return;
        }
        byte[] p = ByteBufUtil.getBytes(packet, packet.readerIndex(), packet.readableBytes());
        if (seen.crypto == null) {
            seen.crypto = new InitialPackets.Reassembly(MAX_HELLO);
        }
        if (!InitialPackets.open(p, InitialPackets.keys(seen.clientDcid, true), seen.crypto)) {
            return;
        }
        Hello hello = serverHello(seen.crypto.contiguous());
        if (hello != null) {
            seen.group = hello.group();
            seen.resumed = hello.resumed();
            seen.crypto = null;
        }
    }

    /** Whether {@code peer}'s last handshake resumed a session (false when it was not seen). */
    static boolean resumed(PathTable.Peer peer) {
        Seen seen = peer == null ? null : peer.keyExchange;
        return seen != null && seen.group != null && seen.resumed;
    }

    /** The group {@code peer}'s last handshake chose, or {@link #UNKNOWN}. */
    static String of(PathTable.Peer peer) {
        Seen seen = peer == null ? null : peer.keyExchange;
        return seen == null || seen.group == null ? UNKNOWN : seen.group;
    }

    /**
     * What a ServerHello (TLS handshake bytes from its start) says, or null when it is none or not yet whole: the
     * group its key_share names, and whether it has a pre_shared_key (a resumed session).
     */
    static Hello serverHello(byte[] m) {
        try {
            if (m.length < 4 || m[0] != 0x02 || m.length < 4 + ((m[1] & 0xff) << 16 | u16(m, 2))) {
                return null; // not a ServerHello, or not all of it yet
            }
            int at = 4 + 2 + 32; // handshake header, legacy_version, random
            at += 1 + (m[at] & 0xff); // legacy_session_id
            at += 2 + 1; // cipher suite, compression
            int end = Math.min(m.length, at + 2 + u16(m, at));
            at += 2;
            String group = null;
            boolean resumed = false;
            while (at + 4 <= end) {
                int type = u16(m, at);
                int length = u16(m, at + 2);
                if (type == KEY_SHARE && at + 6 <= end) {
                    group = name(u16(m, at + 4));
                } else if (type == PRE_SHARED_KEY) {
                    resumed = true;
                }
                at += 4 + length;
            }
            return group == null ? null : new Hello(group, resumed);
        } catch (ArrayIndexOutOfBoundsException truncated) {
            return null;
        }
    }

    /** The name of a TLS named group (RFC 8446 4.2.7 and the IANA registry). */
    static String name(int group) {
        return switch (group) {
            case 0x11ec -> HYBRID;
            case 0x001d -> CLASSICAL;
            case 0x001e -> "X448";
            case 0x0017 -> "secp256r1";
            case 0x0018 -> "secp384r1";
            case 0x0019 -> "secp521r1";
            case 0x6399 -> "X25519Kyber768Draft00";
            default -> String.format("0x%04x", group);
        };
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }
}
