package org.quiver.relay.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.quiver.api.EndpointId;

/**
 * One relay frame; see the package documentation for the wire layout, {@link Codec} for the bytes. The
 * datagram frames hold their datagram array as given (no copy on the relay's hot path): do not change it.
 */
public sealed interface RelayFrame {
    /** Largest datagram a frame carries. */
    int MAX_DATAGRAM = 65_535;
    /** Largest text (reasons, health problems), in UTF-8 bytes. */
    int MAX_TEXT = 1024;
    /** Largest encoded frame. */
    int MAX_FRAME = 1 + 32 + 1 + MAX_DATAGRAM;
    /** Length of a server challenge. */
    int CHALLENGE_LENGTH = 16;
    /**
     * Most datagrams one segmented frame ({@link ClientToRelayDatagrams}, {@link RelayToClientDatagrams}) holds: a
     * burst of QUIC packets as one UDP segmentation offload send makes it (44 of 1,472 bytes fill 64 KiB), and a bound
     * on the work a relay does to cut one for a client that takes only single datagrams.
     */
    int MAX_SEGMENTS = 64;
    /** Largest run of datagrams a segmented frame holds: the frame fits a batch ({@link Codec#MAX_BATCHED_FRAME}). */
    int MAX_SEGMENTED = 0xffff - (1 + 32 + 1 + 2);
    /** {@link ServerConfirmsAuth#features()}: the relay takes and sends segmented datagram frames. */
    int FEATURE_SEGMENTS = 1;

    /** The type byte. */
    byte type();

    record ServerChallenge(byte[] challenge) implements RelayFrame {
        public ServerChallenge {
            if (challenge.length != CHALLENGE_LENGTH) {
                throw new IllegalArgumentException("a challenge is " + CHALLENGE_LENGTH + " bytes");
            }
            challenge = challenge.clone();
        }

        @Override
        public byte[] challenge() {
            return challenge.clone();
        }

        @Override
        public byte type() {
            return 0x01;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ServerChallenge c && Arrays.equals(challenge, c.challenge);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(challenge);
        }

        @Override
        public String toString() {
            return "ServerChallenge";
        }
    }

    /**
     * The client's login: its id, the relay it means (the authority of the URL it connected to, canonical:
     * {@code host:port}, lower case, port always given) and its signature over both and the challenge. A relay
     * accepts it only when {@code relay} names itself, so a login signed for one relay is no use at another (a
     * relay that passes another relay's challenge on to a node gets a signature naming itself).
     */
    record ClientAuth(EndpointId id, String relay, byte[] signature) implements RelayFrame {
        /** Longest relay authority, in ASCII bytes. */
        public static final int MAX_RELAY = 255;

        public ClientAuth {
            Objects.requireNonNull(id, "id");
            checkRelay(relay);
            if (signature.length != 64) {
                throw new IllegalArgumentException("an Ed25519 signature is 64 bytes");
            }
            signature = signature.clone();
        }

        private static void checkRelay(String relay) {
            Objects.requireNonNull(relay, "relay");
            if (relay.isEmpty() || relay.length() > MAX_RELAY || !relay.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("a relay authority is 1 to " + MAX_RELAY + " printable ASCII characters");
            }
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        /** What the client signs: "quiver-relay-v2", the challenge, the relay authority's length (one byte) and the authority. */
        public static byte[] signedMessage(byte[] challenge, String relay) {
            checkRelay(relay);
            byte[] label = "quiver-relay-v2".getBytes(StandardCharsets.US_ASCII);
            byte[] name = relay.getBytes(StandardCharsets.US_ASCII);
            return ByteBuffer.allocate(label.length + challenge.length + 1 + name.length)
                    .put(label).put(challenge).put((byte) name.length).put(name).array();
        }

        /** Whether the signature is {@link #id()}'s over {@code challenge} and {@link #relay()}. */
        public boolean verifies(byte[] challenge) {
            return id.verify(signedMessage(challenge, relay), signature);
        }

        /**
         * The canonical authority of a relay URL: {@code host:port} in lower case, the port given also when it is the
         * scheme's default (80 for ws, 443 for wss), an IPv6 literal in brackets as the URL has it.
         */
        public static String authority(java.net.URI url) {
            String host = url.getHost();
            if (host == null) {
                throw new IllegalArgumentException("no host in " + url);
            }
            int port = url.getPort() > 0 ? url.getPort() : "wss".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
            return host.toLowerCase(java.util.Locale.ROOT) + ":" + port;
        }

        @Override
        public byte type() {
            return 0x02;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ClientAuth c && id.equals(c.id) && relay.equals(c.relay) && Arrays.equals(signature, c.signature);
        }

        @Override
        public int hashCode() {
            return (id.hashCode() * 31 + relay.hashCode()) * 31 + Arrays.hashCode(signature);
        }

        @Override
        public String toString() {
            return "ClientAuth{" + id.shortString() + " at " + relay + "}";
        }
    }

    /**
     * The login is accepted. {@code features}: what this relay does beyond the base protocol, for a client that asked
     * ({@link #FEATURE_SEGMENTS}); 0 (no byte on the wire) for every other client.
     */
    record ServerConfirmsAuth(int features) implements RelayFrame {
        public ServerConfirmsAuth {
            if ((features & ~FEATURE_SEGMENTS) != 0) {
                throw new IllegalArgumentException("unknown relay features " + Integer.toBinaryString(features));
            }
        }

        public ServerConfirmsAuth() {
            this(0);
        }

        @Override
        public byte type() {
            return 0x03;
        }
    }

    record ServerDeniesAuth(String reason) implements RelayFrame {
        public ServerDeniesAuth {
            checkText(reason);
        }

        @Override
        public byte type() {
            return 0x04;
        }
    }

    /** A datagram for {@code destination}, as a client sends it. */
    record ClientToRelayDatagram(EndpointId destination, byte ecn, byte[] datagram) implements RelayFrame {
        public ClientToRelayDatagram {
            Objects.requireNonNull(destination, "destination");
            checkDatagram(datagram);
        }

        @Override
        public byte type() {
            return 0x05;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ClientToRelayDatagram d && destination.equals(d.destination) && ecn == d.ecn && Arrays.equals(datagram, d.datagram);
        }

        @Override
        public int hashCode() {
            return destination.hashCode() * 31 + Arrays.hashCode(datagram);
        }

        @Override
        public String toString() {
            return "ClientToRelayDatagram{to " + destination.shortString() + ", " + datagram.length + " bytes}";
        }
    }

    /** A datagram from {@code source}, as the relay delivers it. */
    record RelayToClientDatagram(EndpointId source, byte ecn, byte[] datagram) implements RelayFrame {
        public RelayToClientDatagram {
            Objects.requireNonNull(source, "source");
            checkDatagram(datagram);
        }

        @Override
        public byte type() {
            return 0x06;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RelayToClientDatagram d && source.equals(d.source) && ecn == d.ecn && Arrays.equals(datagram, d.datagram);
        }

        @Override
        public int hashCode() {
            return source.hashCode() * 31 + Arrays.hashCode(datagram);
        }

        @Override
        public String toString() {
            return "RelayToClientDatagram{from " + source.shortString() + ", " + datagram.length + " bytes}";
        }
    }

    record EndpointGone(EndpointId id) implements RelayFrame {
        public EndpointGone {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public byte type() {
            return 0x07;
        }
    }

    record Ping(long payload) implements RelayFrame {
        @Override
        public byte type() {
            return 0x08;
        }
    }

    record Pong(long payload) implements RelayFrame {
        @Override
        public byte type() {
            return 0x09;
        }
    }

    record Health(String problem) implements RelayFrame {
        public Health {
            checkText(problem);
        }

        @Override
        public byte type() {
            return 0x0a;
        }
    }

    record Restarting(long reconnectInMillis, long tryForMillis) implements RelayFrame {
        public Restarting {
            if (reconnectInMillis < 0 || reconnectInMillis > 0xffffffffL || tryForMillis < 0 || tryForMillis > 0xffffffffL) {
                throw new IllegalArgumentException("restart times are 0 to 2^32-1 ms");
            }
        }

        @Override
        public byte type() {
            return 0x0b;
        }
    }

    record Status(boolean sameIdConnected, boolean rateLimited) implements RelayFrame {
        @Override
        public byte type() {
            return 0x0c;
        }
    }

    /**
     * A burst of datagrams for {@code destination}, as a client that the relay takes them from sends it: {@code
     * datagrams} holds datagrams of {@code segmentSize} bytes each, the last perhaps shorter (as UDP segmentation
     * offload cuts a send), at most {@link #MAX_SEGMENTS} of them, {@link #MAX_SEGMENTED} bytes in all.
     */
    record ClientToRelayDatagrams(EndpointId destination, byte ecn, int segmentSize, byte[] datagrams) implements RelayFrame {
        public ClientToRelayDatagrams {
            Objects.requireNonNull(destination, "destination");
            checkSegments(segmentSize, datagrams);
        }

        @Override
        public byte type() {
            return 0x0d;
        }

        /** How many datagrams it holds. */
        public int count() {
            return segments(segmentSize, datagrams.length);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ClientToRelayDatagrams d && destination.equals(d.destination) && ecn == d.ecn
                    && segmentSize == d.segmentSize && Arrays.equals(datagrams, d.datagrams);
        }

        @Override
        public int hashCode() {
            return (destination.hashCode() * 31 + segmentSize) * 31 + Arrays.hashCode(datagrams);
        }

        @Override
        public String toString() {
            return "ClientToRelayDatagrams{to " + destination.shortString() + ", " + count() + " of " + segmentSize + " bytes}";
        }
    }

    /** A burst of datagrams from {@code source}, as the relay delivers it to a client that takes them; as {@link ClientToRelayDatagrams}. */
    record RelayToClientDatagrams(EndpointId source, byte ecn, int segmentSize, byte[] datagrams) implements RelayFrame {
        public RelayToClientDatagrams {
            Objects.requireNonNull(source, "source");
            checkSegments(segmentSize, datagrams);
        }

        @Override
        public byte type() {
            return 0x0e;
        }

        /** How many datagrams it holds. */
        public int count() {
            return segments(segmentSize, datagrams.length);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RelayToClientDatagrams d && source.equals(d.source) && ecn == d.ecn
                    && segmentSize == d.segmentSize && Arrays.equals(datagrams, d.datagrams);
        }

        @Override
        public int hashCode() {
            return (source.hashCode() * 31 + segmentSize) * 31 + Arrays.hashCode(datagrams);
        }

        @Override
        public String toString() {
            return "RelayToClientDatagrams{from " + source.shortString() + ", " + count() + " of " + segmentSize + " bytes}";
        }
    }

    /** How many datagrams {@code length} bytes cut in {@code segmentSize} make. */
    static int segments(int segmentSize, int length) {
        return (length + segmentSize - 1) / segmentSize;
    }

    private static void checkSegments(int segmentSize, byte[] datagrams) {
        if (datagrams.length < 1 || datagrams.length > MAX_SEGMENTED) {
            throw new IllegalArgumentException("a segmented frame holds 1 to " + MAX_SEGMENTED + " bytes, got " + datagrams.length);
        }
        if (segmentSize < 1 || segmentSize > MAX_SEGMENTED) {
            throw new IllegalArgumentException("a segment is 1 to " + MAX_SEGMENTED + " bytes, got " + segmentSize);
        }
        if (segments(segmentSize, datagrams.length) > MAX_SEGMENTS) {
            throw new IllegalArgumentException("a segmented frame holds at most " + MAX_SEGMENTS + " datagrams, got "
                    + segments(segmentSize, datagrams.length) + " of " + segmentSize + " bytes");
        }
    }

    private static void checkText(String text) {
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT) {
            throw new IllegalArgumentException("text longer than " + MAX_TEXT + " bytes");
        }
    }

    private static void checkDatagram(byte[] datagram) {
        if (datagram.length < 1 || datagram.length > MAX_DATAGRAM) {
            throw new IllegalArgumentException("a relayed datagram is 1 to " + MAX_DATAGRAM + " bytes, got " + datagram.length);
        }
    }
}
