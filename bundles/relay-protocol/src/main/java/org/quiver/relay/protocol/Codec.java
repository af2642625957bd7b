package org.quiver.relay.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.quiver.api.EndpointId;

/** Relay frames to bytes and back. Decoding is strict: exact lengths, known types, valid ids and text. */
public final class Codec {
    private Codec() {
    }

    /**
     * The first byte of a WebSocket message that holds several frames (a batch): then each frame follows as a u16
     * length and its bytes. Not a frame type: {@link #decode} refuses it. A peer sends batches only to a peer that
     * said it takes them (the client with {@link #BATCH_HEADER} in its upgrade request; the relay by sending batches
     * itself); every relay and client of this version takes both kinds of message.
     */
    public static final byte BATCH = 0x7f;
    /** The HTTP header (value {@code "1"}) of a client's WebSocket upgrade request that asks the relay for batches. */
    public static final String BATCH_HEADER = "X-Quiver-Relay-Batch";
    /**
     * The HTTP header (value {@code "1"}) of a client's WebSocket upgrade request that asks the relay for segmented
     * datagram frames ({@link RelayFrame.ClientToRelayDatagrams}, {@link RelayFrame.RelayToClientDatagrams}); a relay
     * that takes them says so in its {@link RelayFrame.ServerConfirmsAuth} ({@link RelayFrame#FEATURE_SEGMENTS}), and
     * only then does the client send them, or the relay send them to it.
     */
    public static final String SEGMENTS_HEADER = "X-Quiver-Relay-Segments";
    /** A batch message's size limit, marker included: the limit of any message ({@link RelayFrame#MAX_FRAME}). */
    public static final int MAX_BATCH = RelayFrame.MAX_FRAME;
    /** The longest frame a batch can hold (its length is a u16); a longer frame travels in a message of its own. */
    public static final int MAX_BATCHED_FRAME = 0xffff;

    /**
     * The frames of one WebSocket message: its one frame, or each frame of a batch (views into {@code message}, which
     * must not change while they are used; decode each with {@link #decode}).
     *
     * @throws MalformedFrameException for a batch whose lengths do not add up, or that holds an empty frame or none
     */
    public static java.util.List<ByteBuffer> frames(ByteBuffer message) throws MalformedFrameException {
        if (!message.hasRemaining() || message.get(message.position()) != BATCH) {
            return java.util.List.of(message);
        }
        java.util.List<ByteBuffer> frames = new java.util.ArrayList<>();
        message.get();
        while (message.hasRemaining()) {
            if (message.remaining() < 2) {
                throw new MalformedFrameException("a batch ends inside a length");
            }
            int n = message.getShort() & 0xffff;
            if (n == 0 || n > message.remaining()) {
                throw new MalformedFrameException("a batched frame of " + n + " bytes, " + message.remaining() + " left in the batch");
            }
            ByteBuffer one = message.slice(message.position(), n);
            message.position(message.position() + n);
            frames.add(one);
        }
        if (frames.isEmpty()) {
            throw new MalformedFrameException("an empty batch");
        }
        return frames;
    }

    /**
     * The frame of a datagram to {@code destination}, as {@link #encode} makes it for a
     * {@link RelayFrame.ClientToRelayDatagram}, written straight from {@code datagram} (its remaining bytes, read
     * once and left as they were): the one copy a relayed datagram takes on its way out.
     *
     * @throws IllegalArgumentException when the datagram is empty or longer than {@link RelayFrame#MAX_DATAGRAM}
     */
    public static ByteBuffer encodeDatagram(org.quiver.api.EndpointId destination, ByteBuffer datagram) {
        ByteBuffer b = ByteBuffer.allocate(datagramFrameLength(datagram.remaining()));
        encodeDatagram(destination, datagram, b);
        return b.flip();
    }

    /**
     * The length of the frame of a datagram of {@code n} bytes to a destination.
     *
     * @throws IllegalArgumentException when {@code n} is not 1 to {@link RelayFrame#MAX_DATAGRAM}
     */
    public static int datagramFrameLength(int n) {
        if (n < 1 || n > RelayFrame.MAX_DATAGRAM) {
            throw new IllegalArgumentException("a relayed datagram is 1 to " + RelayFrame.MAX_DATAGRAM + " bytes, got " + n);
        }
        return 1 + 32 + 1 + n;
    }

    /**
     * As {@link #encodeDatagram(org.quiver.api.EndpointId, ByteBuffer)}, into {@code into} at its position (which ends
     * past the frame): a client frames a datagram straight into a pooled buffer.
     *
     * @throws java.nio.BufferOverflowException when {@code into} has fewer than {@link #datagramFrameLength} bytes left
     */
    public static void encodeDatagram(org.quiver.api.EndpointId destination, ByteBuffer datagram, ByteBuffer into) {
        datagramFrameLength(datagram.remaining());
        into.put((byte) 0x05).put(destination.toBytes()).put((byte) 0).put(datagram.duplicate());
    }

    /**
     * The length of the segmented frame of {@code n} bytes of datagrams of {@code segmentSize} bytes to a destination.
     *
     * @throws IllegalArgumentException when they do not make a segmented frame ({@link RelayFrame.ClientToRelayDatagrams})
     */
    public static int datagramsFrameLength(int n, int segmentSize) {
        if (n < 1 || n > RelayFrame.MAX_SEGMENTED || segmentSize < 1 || segmentSize > RelayFrame.MAX_SEGMENTED
                || RelayFrame.segments(segmentSize, n) > RelayFrame.MAX_SEGMENTS) {
            throw new IllegalArgumentException("not a segmented frame: " + n + " bytes in segments of " + segmentSize);
        }
        return 1 + 32 + 1 + 2 + n;
    }

    /**
     * The segmented frame ({@link RelayFrame.ClientToRelayDatagrams}) of the remaining bytes of {@code datagrams}, datagrams
     * of {@code segmentSize} bytes each, to {@code destination}, into {@code into} at its position (which ends past
     * the frame); {@code datagrams} is read once and left as it was.
     *
     * @throws IllegalArgumentException as {@link #datagramsFrameLength}
     */
    public static void encodeDatagrams(org.quiver.api.EndpointId destination, ByteBuffer datagrams, int segmentSize, ByteBuffer into) {
        datagramsFrameLength(datagrams.remaining(), segmentSize);
        into.put((byte) 0x0d).put(destination.toBytes()).put((byte) 0).putShort((short) segmentSize).put(datagrams.duplicate());
    }

    /** The frame's bytes in a buffer of their own (position 0, limit their length). */
    public static ByteBuffer encode(RelayFrame frame) {
        ByteBuffer b = ByteBuffer.allocate(encodedLength(frame));
        encode(frame, b);
        return b.flip();
    }

    /** How many bytes {@link #encode} makes of {@code frame}. */
    public static int encodedLength(RelayFrame frame) {
        if (frame instanceof RelayFrame.ServerChallenge) {
            return 1 + RelayFrame.CHALLENGE_LENGTH;
        } else if (frame instanceof RelayFrame.ClientAuth f) {
            return 1 + 32 + 64 + 1 + f.relay().length(); // US-ASCII: a byte a character
        } else if (frame instanceof RelayFrame.ServerConfirmsAuth f) {
            return f.features() == 0 ? 1 : 2;
        } else if (frame instanceof RelayFrame.ServerDeniesAuth f) {
            return 1 + f.reason().getBytes(StandardCharsets.UTF_8).length;
        } else if (frame instanceof RelayFrame.ClientToRelayDatagram f) {
            return 1 + 32 + 1 + f.datagram().length;
        } else if (frame instanceof RelayFrame.RelayToClientDatagram f) {
            return 1 + 32 + 1 + f.datagram().length;
        } else if (frame instanceof RelayFrame.ClientToRelayDatagrams f) {
            return 1 + 32 + 1 + 2 + f.datagrams().length;
        } else if (frame instanceof RelayFrame.RelayToClientDatagrams f) {
            return 1 + 32 + 1 + 2 + f.datagrams().length;
        } else if (frame instanceof RelayFrame.EndpointGone) {
            return 1 + 32;
        } else if (frame instanceof RelayFrame.Ping || frame instanceof RelayFrame.Pong || frame instanceof RelayFrame.Restarting) {
            return 9;
        } else if (frame instanceof RelayFrame.Health f) {
            return 1 + f.problem().getBytes(StandardCharsets.UTF_8).length;
        } else if (frame instanceof RelayFrame.Status) {
            return 2;
        }
        throw new IllegalArgumentException("unknown frame " + frame); // sealed: cannot happen
    }

    /**
     * Writes {@code frame} into {@code into} at its position, which ends past the frame: as {@link #encode} without a
     * buffer of its own (the relay writes a datagram's frame straight into the message it sends).
     *
     * @throws java.nio.BufferOverflowException when {@code into} has fewer than {@link #encodedLength} bytes left
     */
    public static void encode(RelayFrame frame, ByteBuffer into) {
        if (frame instanceof RelayFrame.ServerChallenge f) {
            into.put(f.type()).put(f.challenge());
        } else if (frame instanceof RelayFrame.ClientAuth f) {
            byte[] relay = f.relay().getBytes(StandardCharsets.US_ASCII);
            into.put(f.type()).put(f.id().toBytes()).put(f.signature()).put((byte) relay.length).put(relay);
        } else if (frame instanceof RelayFrame.ServerConfirmsAuth f) {
            into.put(f.type());
            if (f.features() != 0) {
                into.put((byte) f.features());
            }
        } else if (frame instanceof RelayFrame.ServerDeniesAuth f) {
            into.put(f.type()).put(f.reason().getBytes(StandardCharsets.UTF_8));
        } else if (frame instanceof RelayFrame.ClientToRelayDatagram f) {
            into.put(f.type()).put(f.destination().toBytes()).put(f.ecn()).put(f.datagram());
        } else if (frame instanceof RelayFrame.RelayToClientDatagram f) {
            into.put(f.type()).put(f.source().toBytes()).put(f.ecn()).put(f.datagram());
        } else if (frame instanceof RelayFrame.ClientToRelayDatagrams f) {
            into.put(f.type()).put(f.destination().toBytes()).put(f.ecn()).putShort((short) f.segmentSize()).put(f.datagrams());
        } else if (frame instanceof RelayFrame.RelayToClientDatagrams f) {
            into.put(f.type()).put(f.source().toBytes()).put(f.ecn()).putShort((short) f.segmentSize()).put(f.datagrams());
        } else if (frame instanceof RelayFrame.EndpointGone f) {
            into.put(f.type()).put(f.id().toBytes());
        } else if (frame instanceof RelayFrame.Ping f) {
            into.put(f.type()).putLong(f.payload());
        } else if (frame instanceof RelayFrame.Pong f) {
            into.put(f.type()).putLong(f.payload());
        } else if (frame instanceof RelayFrame.Health f) {
            into.put(f.type()).put(f.problem().getBytes(StandardCharsets.UTF_8));
        } else if (frame instanceof RelayFrame.Restarting f) {
            into.put(f.type()).putInt((int) f.reconnectInMillis()).putInt((int) f.tryForMillis());
        } else if (frame instanceof RelayFrame.Status f) {
            into.put(f.type()).put((byte) ((f.sameIdConnected() ? 1 : 0) | (f.rateLimited() ? 2 : 0)));
        } else {
            throw new IllegalArgumentException("unknown frame " + frame); // sealed: cannot happen
        }
    }

    /** The frame in {@code bytes} (all of its remaining bytes); the buffer's position is left at its end. */
    public static RelayFrame decode(ByteBuffer bytes) throws MalformedFrameException {
        int n = bytes.remaining();
        if (n < 1) {
            throw new MalformedFrameException("empty frame");
        }
        if (n > RelayFrame.MAX_FRAME) {
            throw new MalformedFrameException("frame of " + n + " bytes is over the " + RelayFrame.MAX_FRAME + " limit");
        }
        byte type = bytes.get();
        int body = n - 1;
        switch (type) {
            case 0x01 -> {
                exactly(type, body, RelayFrame.CHALLENGE_LENGTH);
                return new RelayFrame.ServerChallenge(take(bytes, RelayFrame.CHALLENGE_LENGTH));
            }
            case 0x02 -> {
                if (body < 32 + 64 + 2) {
                    throw new MalformedFrameException("login frame of " + n + " bytes is too short");
                }
                EndpointId id = id(bytes);
                byte[] signature = take(bytes, 64);
                int length = bytes.get() & 0xff;
                exactly(type, body, 32 + 64 + 1 + length);
                String relay = new String(take(bytes, length), StandardCharsets.US_ASCII);
                try {
                    return new RelayFrame.ClientAuth(id, relay, signature);
                } catch (IllegalArgumentException e) {
                    throw new MalformedFrameException("login frame: " + e.getMessage());
                }
            }
            case 0x03 -> {
                if (body > 1) {
                    exactly(type, body, 1);
                }
                int features = body == 0 ? 0 : bytes.get() & 0xff;
                if ((features & ~RelayFrame.FEATURE_SEGMENTS) != 0 || body == 1 && features == 0) {
                    throw new MalformedFrameException("unknown relay features " + Integer.toBinaryString(features));
                }
                return new RelayFrame.ServerConfirmsAuth(features);
            }
            case 0x04 -> {
                return new RelayFrame.ServerDeniesAuth(text(bytes, body));
            }
            case 0x05, 0x06 -> {
                if (body < 32 + 1 + 1) {
                    throw new MalformedFrameException("datagram frame of " + n + " bytes is too short");
                }
                EndpointId id = id(bytes);
                byte ecn = bytes.get();
                byte[] datagram = take(bytes, body - 33);
                return type == 0x05 ? new RelayFrame.ClientToRelayDatagram(id, ecn, datagram) : new RelayFrame.RelayToClientDatagram(id, ecn, datagram);
            }
            case 0x0d, 0x0e -> {
                if (body < 32 + 1 + 2 + 1) {
                    throw new MalformedFrameException("segmented datagram frame of " + n + " bytes is too short");
                }
                if (body - 35 > RelayFrame.MAX_SEGMENTED) {
                    throw new MalformedFrameException("segmented datagram frame of " + n + " bytes is over the limit");
                }
                EndpointId id = id(bytes);
                byte ecn = bytes.get();
                int segmentSize = bytes.getShort() & 0xffff;
                int length = body - 35;
                if (segmentSize < 1 || segmentSize > RelayFrame.MAX_SEGMENTED || RelayFrame.segments(segmentSize, length) > RelayFrame.MAX_SEGMENTS) {
                    throw new MalformedFrameException("segmented datagram frame of " + length + " bytes in segments of " + segmentSize
                            + ": 1 to " + RelayFrame.MAX_SEGMENTS + " datagrams");
                }
                byte[] datagrams = take(bytes, length);
                return type == 0x0d ? new RelayFrame.ClientToRelayDatagrams(id, ecn, segmentSize, datagrams)
                        : new RelayFrame.RelayToClientDatagrams(id, ecn, segmentSize, datagrams);
            }
            case 0x07 -> {
                exactly(type, body, 32);
                return new RelayFrame.EndpointGone(id(bytes));
            }
            case 0x08, 0x09 -> {
                exactly(type, body, 8);
                long payload = bytes.getLong();
                return type == 0x08 ? new RelayFrame.Ping(payload) : new RelayFrame.Pong(payload);
            }
            case 0x0a -> {
                return new RelayFrame.Health(text(bytes, body));
            }
            case 0x0b -> {
                exactly(type, body, 8);
                return new RelayFrame.Restarting(Integer.toUnsignedLong(bytes.getInt()), Integer.toUnsignedLong(bytes.getInt()));
            }
            case 0x0c -> {
                exactly(type, body, 1);
                int flags = bytes.get();
                if ((flags & ~3) != 0) {
                    throw new MalformedFrameException("unknown status flags " + Integer.toBinaryString(flags & 0xff));
                }
                return new RelayFrame.Status((flags & 1) != 0, (flags & 2) != 0);
            }
            default -> throw new MalformedFrameException("unknown frame type 0x" + Integer.toHexString(type & 0xff));
        }
    }

    private static void exactly(byte type, int body, int expected) throws MalformedFrameException {
        if (body != expected) {
            throw new MalformedFrameException("frame type 0x" + Integer.toHexString(type & 0xff) + " has a " + expected
                    + "-byte body, got " + body);
        }
    }

    private static byte[] take(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    /**
     * Ids already checked to be curve points (a check costs a modular exponentiation, ~50 us: far more than
     * forwarding a datagram), at most {@link #ID_CACHE} of them; only valid ids are kept, so junk cannot fill it.
     */
    private static final java.util.Map<ByteBuffer, EndpointId> CHECKED = new java.util.concurrent.ConcurrentHashMap<>();
    static final int ID_CACHE = 16_384;

    private static EndpointId id(ByteBuffer b) throws MalformedFrameException {
        byte[] raw = take(b, 32);
        ByteBuffer key = ByteBuffer.wrap(raw);
        EndpointId known = CHECKED.get(key);
        if (known != null) {
            return known;
        }
        try {
            EndpointId id = EndpointId.fromBytes(raw);
            if (CHECKED.size() >= ID_CACHE) {
                CHECKED.clear(); // crude, but bounded; the ids in use come back at once
            }
            CHECKED.put(ByteBuffer.wrap(id.toBytes()), id);
            return id;
        } catch (IllegalArgumentException e) {
            throw new MalformedFrameException("not an endpoint id: " + e.getMessage());
        }
    }

    private static String text(ByteBuffer b, int n) throws MalformedFrameException {
        if (n > RelayFrame.MAX_TEXT) {
            throw new MalformedFrameException("text of " + n + " bytes is over the " + RelayFrame.MAX_TEXT + " limit");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(take(b, n))).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFrameException("text is not UTF-8");
        }
    }
}
