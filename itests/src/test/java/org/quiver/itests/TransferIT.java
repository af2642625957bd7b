package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.api.EndpointAddr;

/** Two distribution nodes on loopback, driven through bin/quiver as a user would. */
public class TransferIT {
    private static final int MIB = 1024 * 1024;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void sendfileOf256MiBByTicketArrivesIntact() throws Exception {
        Path a = tmp.newFolder("a").toPath();
        Path b = tmp.newFolder("b").toPath();
        // both nodes listen on loopback only: the test sends nowhere else
        for (Path home : new Path[] {a, b}) {
            Node.onLoopback(home);
        }
        Path file = tmp.getRoot().toPath().resolve("payload.bin");
        String sha = writeRandom(file, 256L * MIB);

        try (Node.Interactive nodeB = new Node.Interactive("--home", b.toString())) {
            String out = nodeB.typeUntil("quiver:addr", "quiver>", 30);
            Matcher m = Pattern.compile("(quiver[a-z2-7]{60,})").matcher(nodeB.output());
            assertThat(m.find()).as(nodeB.output()).isTrue();
            String ticket = m.group(1);
            assertThat(EndpointAddr.fromTicket(ticket).directAddresses()).isNotEmpty();

            // files are opt-in: b refuses a until its owner accepts a's id
            String idA = Node.run(null, "--home", a.toString(), "-c", "quiver:id").lines().get(0);
            Node.Result refused = Node.run(null, "--home", a.toString(), "-c", "quiver:sendfile " + ticket + " " + file);
            assertThat(refused.out() + refused.err()).as(refused.toString()).contains("this node does not take files from")
                    .contains("quiver:accept " + idA);
            assertThat(b.resolve("received")).satisfiesAnyOf(r -> assertThat(r).doesNotExist(), r -> assertThat(r).isEmptyDirectory());
            nodeB.typeUntil("quiver:accept " + idA, "are taken", 10);

            Node.Result send = Node.run(null, "--home", a.toString(), "-c", "quiver:sendfile " + ticket + " " + file);
            assertThat(send.exitCode()).as(send.toString()).isZero();
            assertThat(send.out()).contains("sent payload.bin (" + 256L * MIB + " bytes)").contains("sha256=" + sha);

            Path received = b.resolve("received/payload.bin");
            assertThat(received).exists();
            assertThat(sha(received)).isEqualTo(sha);
            nodeB.typeUntil("quiver:peers", "quiver>", 10);
            assertThat(nodeB.output()).contains("file from").contains("stored in " + received);
            assertThat(out).isNotNull();
        }
    }

    @Test
    public void pingAndMessageBetweenTwoNodes() throws Exception {
        Path a = tmp.newFolder("a").toPath();
        Path b = tmp.newFolder("b").toPath();
        for (Path home : new Path[] {a, b}) {
            Node.onLoopback(home);
        }
        String idA = Node.run(null, "--home", a.toString(), "-c", "quiver:id").lines().get(0);
        try (Node.Interactive nodeB = new Node.Interactive("--home", b.toString())) {
            nodeB.typeUntil("quiver:addr", "quiver>", 30);
            Matcher m = Pattern.compile("(quiver[a-z2-7]{60,})").matcher(nodeB.output());
            assertThat(m.find()).isTrue();
            String ticket = m.group(1);
            Node.Result r = Node.run(null, "--home", a.toString(), "-c",
                    "quiver:connect " + ticket + "; quiver:ping " + ticket + " 2; quiver:send " + ticket + " hello from a; quiver:peers; quiver:paths " + ticket);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.out()).contains("connected to ").contains("pong from").contains("delivered to").contains("dialed");
            assertThat(r.out()).as("the path table: one direct path to b, in use").contains("KIND").containsPattern("\\* direct +127\\.0\\.0\\.1:\\d+");
            for (int i = 0; i < 100 && !nodeB.output().contains("hello from a"); i++) {
                Thread.sleep(100);
            }
            assertThat(nodeB.output()).as("the receiving node prints the message").contains("message from " + idA + ": hello from a");

            Node.Result bad = Node.run(null, "--home", a.toString(), "-c", "quiver:ping notaticket");
            assertThat(bad.exitCode()).isEqualTo(1);
            assertThat(bad.err()).contains("EndpointId");
        }
    }

    /** Writes {@code size} seeded random bytes to {@code file}; returns their SHA-256 (hex). */
    static String writeRandom(Path file, long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(5);
        byte[] buf = new byte[MIB];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buf.length) {
                random.nextBytes(buf);
                out.write(buf);
                sha.update(buf);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The SHA-256 (hex) of {@code file}. */
    static String sha(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
