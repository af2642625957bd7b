package org.quiver.launcher;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The control socket's wire format, between {@code bin/quiver -c} ({@link ControlClient}) and a running node
 * ({@link ControlServer}). Owns nothing; pure functions, any thread.
 *
 * <pre>
 * request  = "QVC1" count:u16 (length:u32 command-utf8){count} length:u32 cwd-utf8   (one per connection)
 * response = frame*, the last an exit frame
 * frame    = kind:u8 length:u32 bytes      kind 'o' stdout, 'e' stderr (at most 64 KiB each), 'x' exit (4 bytes: the status)
 * </pre>
 *
 * Both ends check what they read against the limits below and fail with {@link IOException} naming what was wrong:
 * the socket only takes connections from the node's own user, but a broken or foreign program is still a stranger.
 */
final class ControlWire {
    static final byte[] MAGIC = "QVC1".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_COMMANDS = 256;
    /** The whole request's commands and folder, in bytes. */
    static final int MAX_REQUEST_BYTES = 256 * 1024;
    static final int MAX_FRAME_BYTES = 64 * 1024;
    static final byte OUT = 'o';
    static final byte ERR = 'e';
    static final byte EXIT = 'x';

    /** What a client asks: commands (each may hold several statements separated by ';') run in {@code cwd}. */
    record Request(List<String> commands, Path cwd) {
        Request {
            commands = List.copyOf(commands);
        }
    }

    /** One frame of the response. */
    record Frame(byte kind, byte[] bytes) {
        int status() {
            return ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
        }
    }

    private ControlWire() {
    }

    static byte[] encode(Request r) {
        if (r.commands().isEmpty() || r.commands().size() > MAX_COMMANDS) {
            throw new IllegalArgumentException("1 to " + MAX_COMMANDS + " commands, not " + r.commands().size());
        }
        long text = r.cwd().toString().getBytes(StandardCharsets.UTF_8).length;
        for (String c : r.commands()) {
            text += c.getBytes(StandardCharsets.UTF_8).length;
        }
        if (text > MAX_REQUEST_BYTES) {
            throw new IllegalArgumentException("the commands are longer than " + MAX_REQUEST_BYTES / 1024 + " KiB");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeShort(r.commands().size());
            for (String c : r.commands()) {
                writeText(out, c);
            }
            writeText(out, r.cwd().toString());
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return bytes.toByteArray();
    }

    private static void writeText(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /** Reads one request; {@link IOException} for anything that is not one (its message says what). */
    static Request readRequest(InputStream in) throws IOException {
        try {
            return request(in);
        } catch (EOFException e) {
            throw new EOFException("the request ended early");
        }
    }

    private static Request request(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] magic = new byte[MAGIC.length];
        data.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a Quiver control request");
        }
        int count = data.readUnsignedShort();
        if (count == 0 || count > MAX_COMMANDS) {
            throw new IOException("1 to " + MAX_COMMANDS + " commands per request, not " + count);
        }
        int[] budget = {MAX_REQUEST_BYTES};
        List<String> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            commands.add(readText(data, budget));
        }
        String cwd = readText(data, budget);
        try {
            Path dir = Path.of(cwd);
            if (!dir.isAbsolute()) {
                throw new IOException("the working folder is not an absolute path: " + cwd);
            }
            return new Request(commands, dir);
        } catch (InvalidPathException e) {
            throw new IOException("the working folder is not a path: " + e.getMessage());
        }
    }

    private static String readText(DataInputStream in, int[] budget) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > budget[0]) {
            throw new IOException("the request is longer than " + MAX_REQUEST_BYTES / 1024 + " KiB");
        }
        budget[0] -= length;
        byte[] b = in.readNBytes(length);
        if (b.length < length) {
            throw new EOFException("the request ended early");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("the request is not UTF-8");
        }
    }

    /** Writes one output frame (at most {@link #MAX_FRAME_BYTES}: callers split longer output). */
    static void writeFrame(OutputStream out, byte kind, byte[] b, int off, int len) throws IOException {
        if (len > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame of " + len + " bytes");
        }
        byte[] header = {kind, (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len};
        out.write(header);
        out.write(b, off, len);
    }

    static void writeExit(OutputStream out, int status) throws IOException {
        writeFrame(out, EXIT, new byte[] {(byte) (status >>> 24), (byte) (status >>> 16), (byte) (status >>> 8), (byte) status}, 0, 4);
    }

    /** Reads one frame; null at a clean end of stream before a frame began; {@link IOException} for a broken one. */
    static Frame readFrame(InputStream in) throws IOException {
        int kind = in.read();
        if (kind < 0) {
            return null;
        }
        DataInputStream data = new DataInputStream(in);
        int length;
        try {
            length = data.readInt();
        } catch (EOFException e) {
            throw new EOFException("a frame ended early");
        }
        if (kind != OUT && kind != ERR && kind != EXIT) {
            throw new IOException("unknown frame kind " + kind);
        }
        if (length < 0 || length > MAX_FRAME_BYTES || (kind == EXIT && length != 4)) {
            throw new IOException("a frame of kind '" + (char) kind + "' with " + length + " bytes");
        }
        byte[] b = new byte[length];
        try {
            data.readFully(b);
        } catch (EOFException e) {
            throw new EOFException("a frame ended early");
        }
        return new Frame((byte) kind, b);
    }
}
