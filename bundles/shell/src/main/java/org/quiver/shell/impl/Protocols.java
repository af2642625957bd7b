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
 * quiver/file/2  bi stream: u16 name length, UTF-8 name, u64 size;
 *                back: u8 0 and u64 offset (what the receiver kept of an interrupted transfer of a file of this
 *                name and size from this sender: the sender goes on from there), or u8 1, u16 length, UTF-8
 *                reason (refused: nothing is written);
 *                then the bytes from the offset to the end, the 32-byte SHA-256 of the whole file, and the end
 *                of the stream;
 *                back: u8 status (0 stored, 1 error), u16 length, UTF-8 text ("stored as NAME", or the error)
 * </pre>
 * A file is stored only when the SHA-256 of all its bytes (those kept and those sent now) matches; a kept part
 * that belonged to another file of the same name and size fails that check, is dropped, and the next try starts
 * from the beginning. Until then it is a hidden {@code .partial-*} file in the folder, named after the sender,
 * the name and the size; the final name appears complete and never replaces another file. Both sides hash as the
 * bytes go (the sender reads the file once; on a resume, it reads the kept part once more to hash it).
 */
final class Protocols {
    static final String PING = "quiver/ping/1";
    static final String MESSAGE = "quiver/msg/1";
    static final String FILE = "quiver/file/2";
    static final int MAX_MESSAGE = 64 * 1024;
    /** Longest file name, in UTF-8 bytes. */
    static final int MAX_NAME = 255;
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Protocols() {
    }

    // ---- clients ----

    /** One ping; returns the round-trip time in nanoseconds. */
    static long ping(Connection c) throws QuiverException, InterruptedException, IOException {
        return ping(c, TIMEOUT);
    }

    /**
     * One ping that gives up after {@code timeout} (a connection that stopped answering does not hold the command until
     * QUIC's idle timeout, or for ever while the peer's keep-alives still come); returns the round-trip time in nanoseconds.
     */
    static long ping(Connection c, Duration timeout) throws QuiverException, InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        BiStream s = Blocking.await(c.openBi(), timeout);
        long t0 = System.nanoTime();
        OutputStream out = s.send().outputStream();
        new DataOutputStream(out).writeLong(t0);
        out.close(); // the 8 bytes and the end of the stream: the server need not wait for anything more
        java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(Long.BYTES);
        while (answer.hasRemaining()) {
            long left = deadline - System.nanoTime();
            java.util.Optional<java.nio.ByteBuffer> got;
            try {
                got = Blocking.await(s.recv().read(), Duration.ofNanos(Math.max(1, left)));
            } catch (QuiverException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new QuiverException("no answer to the ping within " + timeout.toMillis() + " ms", e);
                }
                throw e;
            }
            if (got.isEmpty()) {
                throw new IOException("the ping answer was cut short");
            }
            java.nio.ByteBuffer b = got.get();
            while (b.hasRemaining() && answer.hasRemaining()) {
                answer.put(b.get());
            }
        }
        if (answer.flip().getLong() != t0) {
            throw new IOException("ping answer does not match");
        }
        return System.nanoTime() - t0;
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

    /** Sends a file; returns the peer's answer (the name it stored it as) and, when it resumed, from where. */
    static String sendFile(Connection c, Path file, LongConsumer progress) throws QuiverException, InterruptedException, IOException {
        long size = Files.size(file);
        byte[] name = file.getFileName().toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_NAME) {
            throw new IllegalArgumentException("a file name is at most " + MAX_NAME + " bytes");
        }
        BiStream s = Blocking.await(c.openBi(), TIMEOUT);
        DataOutputStream out = new DataOutputStream(s.send().outputStream()); // finished before the answer is read
        try (DataInputStream in = new DataInputStream(s.recv().inputStream())) {
            out.writeShort(name.length);
            out.write(name);
            out.writeLong(size);
            out.flush();
            if (in.readUnsignedByte() != 0) {
                throw new IOException("the peer refused the file: " + new String(in.readNBytes(in.readUnsignedShort()), StandardCharsets.UTF_8));
            }
            long offset = in.readLong();
            if (offset < 0 || offset > size) {
                throw new IOException("the peer asked for the file from byte " + offset + " of " + size);
            }
            byte[] digest;
            try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(file)) {
                MessageDigest sha = sha256();
                hashFirst(ch, sha, offset); // the part the receiver kept: hashed here, not sent
                sendFrom(ch, out, sha, size, offset, progress, file);
                digest = sha.digest();
                out.write(digest);
                out.close();
            } catch (IOException writeFailed) {
                // the receiver may have stopped us (out of space, a deadline): its answer says why. Our side ends
                // first, so that a receiver still waiting for bytes (our file failed to read) answers too.
                s.send().reset(1);
                int status;
                String answer;
                try {
                    status = in.readUnsignedByte();
                    answer = new String(in.readNBytes(in.readUnsignedShort()), StandardCharsets.UTF_8);
                } catch (IOException noAnswer) {
                    throw writeFailed;
                }
                throw new IOException(status == 0 ? "the peer stored the file but the send failed: " + writeFailed.getMessage()
                        : "the peer did not store the file: " + answer, writeFailed);
            }
            int status = in.readUnsignedByte();
            String answer = new String(in.readNBytes(in.readUnsignedShort()), StandardCharsets.UTF_8);
            if (status != 0) {
                throw new IOException("the peer did not store the file: " + answer);
            }
            return answer + (offset > 0 ? " (resumed: it had " + offset + " bytes already)" : "") + " sha256=" + HexFormat.of().formatHex(digest);
        } catch (IOException e) {
            s.send().reset(1);
            throw e;
        }
    }

    /** Hashes the first {@code length} bytes of {@code ch} into {@code sha}; leaves the position at {@code length}. */
    private static void hashFirst(java.nio.channels.SeekableByteChannel ch, MessageDigest sha, long length) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
        long left = length;
        while (left > 0) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            int n = ch.read(buf);
            if (n < 0) {
                throw new IOException("the file is shorter than the part the receiver kept");
            }
            sha.update(buf.flip());
            left -= n;
        }
    }

    /** Writes {@code file} from {@code offset} to its end, hashing it, reporting how far it is. */
    private static void sendFrom(java.nio.channels.SeekableByteChannel ch, OutputStream out, MessageDigest sha, long size, long offset,
                                 LongConsumer progress, Path file) throws IOException {
        InputStream data = new DigestInputStream(java.nio.channels.Channels.newInputStream(ch), sha);
        byte[] buf = new byte[64 * 1024];
        long sent = offset;
        progress.accept(sent);
        int n;
        while (sent < size && (n = data.read(buf, 0, (int) Math.min(buf.length, size - sent))) > 0) {
            out.write(buf, 0, n);
            sent += n;
            progress.accept(sent);
        }
        if (sent != size) {
            throw new IOException(file + " changed while it was sent");
        }
    }

    // ---- servers ----

    /**
     * Echoes the 8 bytes of a ping. A ping is 8 bytes and the end of the stream; anything more the peer sends is
     * refused (STOP_SENDING) instead of piling up in the connection's buffers.
     */
    static void servePing(BiStream s) throws IOException {
        try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
            byte[] ping = in.readNBytes(8);
            out.write(ping);
            out.flush();
            if (ping.length == 8 && in.read() != -1) {
                s.recv().stop(0); // more than a ping: not read, not buffered
            }
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
     * Receives a file from {@code from} into the policy's folder, if the policy lets it in; never overwrites, never
     * writes outside the folder. Returns where it is; the sender is told the file's name only, never a local path.
     */
    static Path serveFile(BiStream s, org.quiver.api.EndpointId from, FilePolicy policy) throws IOException {
        return serveFile(s, from, policy, () -> { });
    }

    /** As {@link #serveFile(BiStream, org.quiver.api.EndpointId, FilePolicy)}, calling {@code progress} as bytes arrive. */
    static Path serveFile(BiStream s, org.quiver.api.EndpointId from, FilePolicy policy, Runnable progress) throws IOException {
        try (DataInputStream in = new DataInputStream(s.recv().inputStream()); DataOutputStream out = new DataOutputStream(s.send().outputStream())) {
            int nameLength = in.readUnsignedShort();
            if (nameLength > MAX_NAME) {
                return refuse(s, out, "a file name is at most " + MAX_NAME + " bytes");
            }
            String name = new String(in.readNBytes(nameLength), StandardCharsets.UTF_8);
            long size = in.readLong();
            String last = name.replace('\\', '/');
            last = last.substring(last.lastIndexOf('/') + 1);
            String safe = last.isEmpty() ? "file" : printable(last);
            if (safe.isBlank() || safe.equals(".") || safe.equals("..") || safe.startsWith(".partial-") || size < 0) {
                return refuse(s, out, "bad file header");
            }
            Path folder = policy.folder();
            Files.createDirectories(folder);
            Path partial = folder.resolve(".partial-" + partialKey(from, name, size));
            long have = Files.isRegularFile(partial) ? Math.min(Files.size(partial), size) : 0;
            FilePolicy.Admission admission;
            try {
                admission = policy.admit(from, size, have);
            } catch (FilePolicy.Refused r) {
                return refuse(s, out, r.getMessage());
            }
            try (admission) {
                out.writeByte(0);
                out.writeLong(have);
                out.flush();
                Path stored = receive(in, partial, have, size, folder, safe, policy, progress);
                policy.stored(from, size);
                policy.usedOnce(from);
                reply(out, 0, "stored as " + stored.getFileName());
                return stored;
            } catch (IOException e) {
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                try {
                    reply(out, 1, why);
                    out.flush();
                } catch (IOException gone) {
                    throw e; // the sender went: what it sent is kept for its next try
                }
                s.recv().stop(0); // the sender may be mid-file: its writes fail now, and it reads why
                throw new Told(why, e);
            }
        }
    }

    /** Tells the sender why not and ends the stream; nothing was written. */
    private static Path refuse(BiStream s, DataOutputStream out, String reason) throws IOException {
        reply(out, 1, reason); // the sender sends nothing more before it is told to go on: nothing to discard
        out.flush();
        throw new FilePolicy.Refused(reason);
    }

    /** Which interrupted transfer a file continues: the sender, the name and the size (hex, 32 characters). */
    private static String partialKey(org.quiver.api.EndpointId from, String name, long size) {
        MessageDigest d = sha256();
        d.update(from.toBytes());
        d.update(name.getBytes(StandardCharsets.UTF_8));
        d.update(java.nio.ByteBuffer.allocate(8).putLong(size).array());
        return HexFormat.of().formatHex(d.digest(), 0, 16);
    }

    /** A failure the peer was told about in the protocol's answer: its stream ends normally, it is not reset. */
    static class Told extends IOException {
        private static final long serialVersionUID = 1L;

        Told(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Checks free space again every this many bytes written. */
    private static final long SPACE_CHECK_BYTES = 8L << 20;

    private static Path receive(DataInputStream in, Path partial, long have, long size, Path folder, String safe,
                                FilePolicy policy, Runnable progress) throws IOException {
        MessageDigest sha = sha256();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ)) {
            ch.truncate(have); // what is kept is exactly what the sender was told
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
            for (long at = 0; at < have; ) { // the kept part is hashed once, the rest as it arrives
                buf.clear().limit((int) Math.min(buf.capacity(), have - at));
                int n = ch.read(buf, at);
                if (n < 0) {
                    break;
                }
                sha.update(buf.flip());
                at += n;
                progress.run();
            }
        }
        try (OutputStream file = new DigestOutputStream(Files.newOutputStream(partial, java.nio.file.StandardOpenOption.APPEND), sha)) {
            byte[] buf = new byte[64 * 1024];
            long left = size - have;
            long sinceCheck = 0;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("the file ended early, at byte " + (size - left) + " of " + size + " (sending it again resumes there)");
                }
                file.write(buf, 0, n);
                progress.run();
                left -= n;
                sinceCheck += n;
                if (sinceCheck >= SPACE_CHECK_BYTES) {
                    sinceCheck = 0;
                    file.flush();
                    policy.checkSpace(left);
                }
            }
        }
        byte[] expected = in.readNBytes(32);
        if (expected.length != 32) {
            throw new IOException("the file ended early: no SHA-256 after its bytes (sending it again resumes)");
        }
        if (!MessageDigest.isEqual(expected, sha.digest())) {
            Files.deleteIfExists(partial);
            throw new IOException("SHA-256 mismatch: the file was corrupted on the way" + (have > 0
                    ? ", or the part kept from an earlier try was of another file; it is dropped: sending it again starts over" : ""));
        }
        // the final name appears at once and complete, and never replaces a file: a hard link fails when the
        // name is taken (rename would replace it)
        Path target = folder.resolve(safe);
        try {
            for (int i = 1; ; i++) {
                try {
                    return Files.createLink(target, partial);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (i > 10_000) {
                        throw new IOException("too many files named " + safe);
                    }
                    target = folder.resolve(safe + "." + i);
                } catch (UnsupportedOperationException noLinks) {
                    return Files.move(partial, target); // no hard links here: still never replaces (fails if taken)
                }
            }
        } finally {
            Files.deleteIfExists(partial);
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
