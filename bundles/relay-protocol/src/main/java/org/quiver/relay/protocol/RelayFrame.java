package org.quiver.relay.protocol;

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

    record ClientAuth(EndpointId id, byte[] signature) implements RelayFrame {
        public ClientAuth {
            Objects.requireNonNull(id, "id");
            if (signature.length != 64) {
                throw new IllegalArgumentException("an Ed25519 signature is 64 bytes");
            }
            signature = signature.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        /** What the client signs: "quiver-relay-v1" followed by the challenge. */
        public static byte[] signedMessage(byte[] challenge) {
            byte[] label = "quiver-relay-v1".getBytes(StandardCharsets.US_ASCII);
            byte[] m = Arrays.copyOf(label, label.length + challenge.length);
            System.arraycopy(challenge, 0, m, label.length, challenge.length);
            return m;
        }

        /** Whether the signature is {@link #id()}'s over {@code challenge}. */
        public boolean verifies(byte[] challenge) {
            return id.verify(signedMessage(challenge), signature);
        }

        @Override
        public byte type() {
            return 0x02;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ClientAuth c && id.equals(c.id) && Arrays.equals(signature, c.signature);
        }

        @Override
        public int hashCode() {
            return id.hashCode() * 31 + Arrays.hashCode(signature);
        }

        @Override
        public String toString() {
            return "ClientAuth{" + id.shortString() + "}";
        }
    }

    record ServerConfirmsAuth() implements RelayFrame {
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
