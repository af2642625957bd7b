package org.quiver.identity.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * The identity key file: an Ed25519 private key in PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}), the
 * format {@code openssl genpkey -algorithm ed25519} writes and reads.
 *
 * <p>Rules: a missing file is created with owner-only permissions (0600, its folder 0700 when we create
 * it), atomically and without ever replacing a file that appeared meanwhile; an existing file that cannot
 * be read or parsed is an {@link IOException} naming the file, and the file is left untouched.
 */
public final class KeyFile {
    /** Larger files are not key files; refusing them bounds what we read. */
    static final long MAX_SIZE = 16 * 1024;
    private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String END = "-----END PRIVATE KEY-----";
    private static final System.Logger LOG = System.getLogger(KeyFile.class.getName());

    private KeyFile() {
    }

    public static Ed25519Identity loadOrCreate(Path file) throws IOException {
        Path path = file.toAbsolutePath();
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) { // a dangling link is an error, not a place to create
            return load(path);
        }
        Ed25519Identity identity = Ed25519Identity.generate();
        try {
            write(path, identity);
            LOG.log(System.Logger.Level.INFO, "Created a new identity {0} in {1}", identity.id(), path);
            return identity;
        } catch (FileAlreadyExistsException raced) {
            return load(path); // another process created it first: use theirs
        }
    }

    public static Ed25519Identity load(Path path) throws IOException {
        byte[] bytes;
        try {
            if (Files.size(path) > MAX_SIZE) {
                throw new IOException("Cannot use identity key file " + path + ": it is " + Files.size(path)
                        + " bytes, not an Ed25519 key (left untouched)");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new IOException("Identity key file " + path + " does not exist", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("Cannot use identity key file")) {
                throw e;
            }
            throw new IOException("Cannot read identity key file " + path + ": " + e + " (left untouched)", e);
        }
        warnIfOpen(path);
        String text = new String(bytes, StandardCharsets.US_ASCII).strip();
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IOException("Cannot use identity key file " + path
                    + ": it is not a PEM private key (expected '" + BEGIN + "'); left untouched");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IOException("Cannot use identity key file " + path + ": bad base64 (" + e.getMessage() + "); left untouched", e);
        }
        try {
            return Ed25519Identity.fromPkcs8(der);
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IOException("Cannot use identity key file " + path + ": not an Ed25519 private key (" + e.getMessage()
                    + "); left untouched", e);
        }
    }

    static void write(Path path, Ed25519Identity identity) throws IOException {
        Path dir = path.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(dir)) {
            if (posix) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectories(dir);
            }
        }
        String pem = BEGIN + "\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(identity.pkcs8()) + "\n" + END + "\n";
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, ".identity-", ".tmp", attrs);
        try {
            Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
            // A hard link never replaces an existing file, unlike rename(2); the key appears complete or not at all.
            Files.createLink(path, tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void warnIfOpen(Path path) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
            perms.retainAll(EnumSet.complementOf(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE)));
            if (!perms.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "Identity key file {0} is readable by others ({1}); chmod 600 it",
                        path, PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
