package org.quiver.identity.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;

class KeyFileTest {
    @TempDir
    Path dir;

    @Test
    void createsOnFirstStartWithOwnerOnlyPermissionsAndLoadsTheSameIdAfterwards() throws Exception {
        Path file = dir.resolve("node/identity.key");
        LocalIdentity first = Identities.loadOrCreate(file);
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(Files.readString(file)).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        String before = Files.readString(file);

        LocalIdentity second = Identities.loadOrCreate(file);
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(Files.readString(file)).isEqualTo(before);
        assertThat(dir.resolve("node")).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void signaturesVerifyWithTheId() throws Exception {
        LocalIdentity identity = Identities.loadOrCreate(dir.resolve("k"));
        byte[] message = "challenge".getBytes(StandardCharsets.UTF_8);
        byte[] signature = identity.sign(message);
        assertThat(signature).hasSize(64);
        assertThat(identity.id().verify(message, signature)).isTrue();
        assertThat(Identities.ephemeral().id().verify(message, signature)).isFalse();
    }

    @Test
    void readsAKeyThatOpensslWrote() throws Exception {
        // `openssl genpkey -algorithm ed25519` of the RFC 8032 test-1 secret key 9d61b19d...7f60;
        // its public key is d75a9801...511a (RFC 8032 section 7.1).
        Path file = dir.resolve("openssl.pem");
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n");
        LocalIdentity identity = Identities.loadOrCreate(file);
        assertThat(identity.id()).isEqualTo(EndpointId.parse("25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkena"));
    }

    @Test
    void corruptFileIsAClearErrorAndIsNeverReplaced() throws Exception {
        Path file = dir.resolve("identity.key");
        List<String> bad = List.of(
                "",
                "hello",
                "-----BEGIN PRIVATE KEY-----\n!!!notbase64!!!\n-----END PRIVATE KEY-----\n",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                // a valid PKCS#8 EC P-256 key: a key, but not Ed25519
                "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgX0D+GINuX3PiPH8vIQyQaEiFklun+9ZV1O00ejT9giChRANCAASjKOXv0LilmIyInILah8peTdIEiWwTBi5+H+FXIRnkakmp/8F5Hy1enbOSiJGP3xur0iQf9+ZjrfjMZ8vUpqrj\n-----END PRIVATE KEY-----\n");
        for (String content : bad) {
            Files.writeString(file, content);
            assertThatThrownBy(() -> Identities.loadOrCreate(file))
                    .as("content %s", content)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(file.toAbsolutePath().toString())
                    .hasMessageContaining("left untouched");
            assertThat(Files.readString(file)).isEqualTo(content);
        }
    }

    @Test
    void oversizedFileAndFolderAreRefusedByName() throws Exception {
        Path big = dir.resolve("big.key");
        Files.write(big, new byte[(int) KeyFile.MAX_SIZE + 1]);
        assertThatThrownBy(() -> Identities.loadOrCreate(big)).hasMessageContaining(big.toString()).hasMessageContaining("bytes");
        Path folder = Files.createDirectory(dir.resolve("folder.key"));
        assertThatThrownBy(() -> Identities.loadOrCreate(folder)).hasMessageContaining("Cannot read identity key file " + folder);
        Path dangling = dir.resolve("link.key");
        Files.createSymbolicLink(dangling, dir.resolve("nowhere"));
        assertThatThrownBy(() -> Identities.loadOrCreate(dangling)).hasMessageContaining("does not exist");
        assertThat(dir.resolve("nowhere")).doesNotExist();
    }

    @Test
    void concurrentFirstStartsAgreeOnOneIdentity() throws Exception {
        Path file = dir.resolve("race/identity.key");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LocalIdentity>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Callable<LocalIdentity> task = () -> Identities.loadOrCreate(file);
                results.add(pool.submit(task));
            }
            EndpointId id = results.get(0).get().id();
            for (Future<LocalIdentity> r : results) {
                assertThat(r.get().id()).isEqualTo(id);
            }
            assertThat(Identities.loadOrCreate(file).id()).isEqualTo(id);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writeNeverReplacesAnExistingFile() throws Exception {
        Path file = dir.resolve("identity.key");
        Files.writeString(file, "precious");
        assertThatThrownBy(() -> KeyFile.write(file, Ed25519Identity.generate()))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.readString(file)).isEqualTo("precious");
    }

    @Test
    void loadingAMissingFileSaysSo() {
        Path file = dir.resolve("missing.key");
        assertThatThrownBy(() -> KeyFile.load(file)).hasMessageContaining("does not exist");
    }
}
