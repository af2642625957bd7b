package org.quiver.api;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The framing of {@link Endpoint#send}: on one unidirectional stream per connection, each message is a
 * 4-byte big-endian length followed by that many bytes. A receiver reads them with {@link #read}.
 */
public final class Messages {
    /** The largest message {@link #read(InputStream)} accepts unless told otherwise: 1 MiB. */
    public static final int DEFAULT_MAX_SIZE = 1 << 20;

    private Messages() {
    }

    /** {@code message} framed for the stream: its length, then its bytes. */
    public static ByteBuffer frame(byte[] message) {
        ByteBuffer b = ByteBuffer.allocate(4 + message.length);
        b.putInt(message.length).put(message).flip();
        return b;
    }

    /** The next message of a message stream, at most {@link #DEFAULT_MAX_SIZE} bytes; null at its end. */
    public static byte[] read(InputStream in) throws IOException {
        return read(in, DEFAULT_MAX_SIZE);
    }

    /**
     * The next message of a message stream; null when the stream ended cleanly between messages.
     *
     * @throws QuiverException if a message claims more than {@code maxSize} bytes (nothing is allocated for it)
     * @throws EOFException    if the stream ends inside a message
     */
    public static byte[] read(InputStream in, int maxSize) throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length == 0) {
            return null;
        }
        if (header.length < 4) {
            throw new EOFException("The message stream ended inside a length prefix");
        }
        int length = ByteBuffer.wrap(header).getInt();
        if (length < 0 || length > maxSize) {
            throw new QuiverException("A message of " + Integer.toUnsignedString(length) + " bytes is more than the " + maxSize + " accepted");
        }
        byte[] message = in.readNBytes(length);
        if (message.length < length) {
            throw new EOFException("The message stream ended after " + message.length + " of " + length + " bytes of a message");
        }
        return message;
    }
}
