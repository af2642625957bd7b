package org.quiver.shell.impl;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.LongConsumer;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.QuiverException;

/**
 * The node's built-in protocols, plain Java: ping (echo), message and file transfer. The shell commands are
 * their client side; {@link BuiltinHandlers} registers their server side as protocol handlers.
 *
 * <pre>
 * quiver/ping/1  bi stream: 8 bytes out, the same 8 bytes back
 * quiver/msg/1   bi stream: u16 length, UTF-8 text (at most 64 KiB); back: "ok"
 * quiver/file/1  bi stream: u16 name length, UTF-8 name, u64 size, the bytes, 32-byte SHA-256;
 *                back: u8 status (0 ok, 1 error), u16 length, UTF-8 text (the stored path, or the error)
 * </pre>
 */
final class Protocols {
    static final String PING = "quiver/ping/1";
    static final String MESSAGE = "quiver/msg/1";
    static final String FILE = "quiver/file/1";
    static final int MAX_MESSAGE = 64 * 1024;
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Protocols() {
    }

    // ---- clients ----

    /** One ping; returns the round-trip time in nanoseconds. */
    static long ping(Connection c) throws QuiverException, InterruptedException, IOException {
        BiStream s = Blocking.await(c.openBi(), TIMEOUT);
        long t0 = System.nanoTime();
        try (OutputStream out = s.send().outputStream(); InputStream in = s.recv().inputStream()) {
            new DataOutputStream(out).writeLong(t0);
            out.flush();
            long back = new DataInputStream(in).readLong();
            if (back != t0) {
                throw new IOException("ping answer does not match");
            }
            return System.nanoTime() - t0;
        }
    }

    static void message(Connection c, String text) throws QuiverException, InterruptedException, IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_MESSAGE) {
            throw new IllegalArgumentException("a message is at most " + MAX_MESSAGE + " bytes");
        }
        BiStream s = Blocking.await(c.openBi(), TIMEOUT);
        DataOutputStream out = new DataOutputStream(s.send().outputStream());
        try (InputStream in = s.recv().inputStream()) {
            out.writeShort(bytes.length);
            out.write(bytes);
            out.close();
            String ack = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!ack.equals("ok")) {
                throw new IOException("the peer did not take the message: " + ack);
            }
        }
    }

    /** Sends a file; returns the peer's answer (where it stored it). */
    static String sendFile(Connection c, Path file, LongConsumer progress) throws QuiverException, InterruptedException, IOException {
        long size = Files.size(file);
        byte[] name = file.getFileName().toString().getBytes(StandardCharsets.UTF_8);
        BiStream s = Blocking.await(c.openBi(), TIMEOUT);
        MessageDigest sha = sha256();
        DataOutputStream out = new DataOutputStream(s.send().outputStream()); // closed (finished) before the answer is read
        try (InputStream data = new DigestInputStream(Files.newInputStream(file), sha);
                DataInputStream in = new DataInputStream(s.recv().inputStream())) {
            out.writeShort(name.length);
            out.write(name);
            out.writeLong(size);
            byte[] buf = new byte[64 * 1024];
            long sent = 0;
            int n;
            while ((n = data.read(buf)) > 0) {
                out.write(buf, 0, n);
                sent += n;
                progress.accept(sent);
            }
            if (sent != size) {
                throw new IOException(file + " changed while it was sent");
            }
            byte[] digest = sha.digest();
            out.write(digest);
            out.close();
            int status = in.readUnsignedByte();
            byte[] text = in.readNBytes(in.readUnsignedShort());
            String answer = new String(text, StandardCharsets.UTF_8);
            if (status != 0) {
                throw new IOException("the peer refused the file: " + answer);
            }
            return answer + " sha256=" + HexFormat.of().formatHex(digest);
        } catch (IOException e) {
            s.send().reset(1);
            throw e;
        }
    }

    // ---- servers ----

    static void servePing(BiStream s) throws IOException {
        try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
            out.write(in.readNBytes(8));
        }
    }

    static String serveMessage(BiStream s) throws IOException {
        try (DataInputStream in = new DataInputStream(s.recv().inputStream()); OutputStream out = s.send().outputStream()) {
            int length = in.readUnsignedShort();
            String text = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            out.write("ok".getBytes(StandardCharsets.UTF_8));
            return printable(text);
        }
    }

    /**
     * Text a peer chose, made safe to print on a terminal: control and format characters (escape sequences, new
     * lines, bidirectional overrides) become '?', so a message or a file name cannot rewrite the screen.
     */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> out.appendCodePoint(
                Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? '?' : c));
        return out.toString();
    }

    /**
     * Receives a file into {@code folder}; never overwrites, never writes outside it. Returns where it is; the
     * sender is told the file's name only, never a local path.
     */
    static Path serveFile(BiStream s, Path folder) throws IOException {
        try (DataInputStream in = new DataInputStream(s.recv().inputStream()); DataOutputStream out = new DataOutputStream(s.send().outputStream())) {
            try {
                Path stored = receive(in, folder);
                reply(out, 0, "stored as " + stored.getFileName());
                return stored;
            } catch (IOException e) {
                reply(out, 1, e.getMessage() == null ? e.toString() : e.getMessage());
                throw e;
            }
        }
    }

    private static Path receive(DataInputStream in, Path folder) throws IOException {
        String name = new String(in.readNBytes(in.readUnsignedShort()), StandardCharsets.UTF_8);
        long size = in.readLong();
        String last = name.replace('\\', '/');
        last = last.substring(last.lastIndexOf('/') + 1);
        String safe = last.isEmpty() ? "file" : printable(last);
        if (safe.isBlank() || safe.equals(".") || safe.equals("..") || size < 0) {
            throw new IOException("bad file header");
        }
        Files.createDirectories(folder);
        Path tmp = Files.createTempFile(folder, ".receiving-", ".part");
        try {
            MessageDigest sha = sha256();
            try (OutputStream file = new DigestOutputStream(Files.newOutputStream(tmp), sha)) {
                byte[] buf = new byte[64 * 1024];
                long left = size;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new IOException("the file ended early");
                    }
                    file.write(buf, 0, n);
                    left -= n;
                }
            }
            byte[] expected = in.readNBytes(32);
            if (!MessageDigest.isEqual(expected, sha.digest())) {
                throw new IOException("SHA-256 mismatch: the file was corrupted on the way");
            }
            // the final name appears at once and complete, and never replaces a file: a hard link fails when the
            // name is taken (rename would replace it); the temporary name goes in the finally below
            Path target = folder.resolve(safe);
            for (int i = 1; ; i++) {
                try {
                    return Files.createLink(target, tmp);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (i > 10_000) {
                        throw new IOException("too many files named " + safe);
                    }
                    target = folder.resolve(safe + "." + i);
                } catch (UnsupportedOperationException noLinks) {
                    return Files.move(tmp, target); // no hard links here: still never replaces (fails if taken)
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void reply(DataOutputStream out, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        out.writeByte(status);
        out.writeShort(Math.min(b.length, 65535));
        out.write(b, 0, Math.min(b.length, 65535));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
