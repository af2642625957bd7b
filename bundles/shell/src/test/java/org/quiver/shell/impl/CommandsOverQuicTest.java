package org.quiver.shell.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.impl.QuicEndpoint;

/** The shell commands against a real peer endpoint serving the built-in protocols. */
class CommandsOverQuicTest {
    @TempDir
    Path dir;

    private QuicEndpoint server;
    private QuicEndpoint client;
    private QuiverCommands commands;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private String ticket;
    private final StreamServing workers = new StreamServing("test", StreamServing.PER_PEER, java.time.Duration.ofSeconds(30));

    @BeforeEach
    void start() throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        PrintStream console = new PrintStream(printed, true, StandardCharsets.UTF_8);
        LocalIdentity me = Identities.ephemeral();
        FilePolicy policy = new FilePolicy(dir.resolve("received"), new FilePolicy.Limits(1L << 30, 1L << 30, 1L << 30, 0, 4), java.util.Set.of(me.id()));
        server = QuicEndpoint.builder(Identities.ephemeral()).bind(lo)
                .handler(Protocols.PING, c -> workers.serve(c, (s, p) -> Protocols.servePing(s)))
                .handler(Protocols.MESSAGE, c -> workers.serve(c, (s, p) -> console.println("message: " + Protocols.serveMessage(s))))
                .handler(Protocols.FILE, c -> workers.serve(c, (s, p) -> console.println("stored " + Protocols.serveFile(s, c.remoteId(), policy, p))))
                .build();
        client = QuicEndpoint.builder(me).bind(lo).build();
        commands = new QuiverCommands();
        commands.setIdentity(me);
        commands.setEndpoint(client);
        ticket = server.addr().get().toTicket();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        workers.close();
    }

    @Test
    void connectPingAndPeers() throws Exception {
        assertThat(commands.peers()).isEqualTo("no connections");
        assertThat(commands.connect(ticket)).startsWith("connected to " + server.id()).contains("direct 127.0.0.1").contains("rtt");
        assertThat(commands.ping(server.id().toString(), 2).lines()).hasSize(2).allMatch(l -> l.startsWith("pong from"));
        assertThat(commands.ping(ticket)).contains("pong");
        assertThat(commands.peers()).contains(server.id().toString()).contains(Protocols.PING).contains("dialed")
                .as("the handshake's key exchange: hybrid post-quantum between two Quiver nodes").contains("X25519MLKEM768")
                .as("a first handshake with the server: a full one").contains(" full ");
        assertThatThrownBy(() -> commands.ping(ticket, 0)).hasMessageContaining("1 to 1000");
        // the path table: one direct path, selected, measured by a probe within a moment
        String paths = "";
        for (int i = 0; i < 100 && !paths.contains(" valid "); i++) {
            Thread.sleep(20);
            paths = commands.paths(server.id().toString());
        }
        assertThat(paths.lines()).hasSize(2);
        assertThat(paths.lines().skip(1).findFirst().orElseThrow())
                .startsWith("* direct").contains(serverText()).contains(" valid ").contains("ms").contains("s ago");
        assertThat(commands.paths(ticket)).as("a ticket names the peer too").startsWith("  KIND").contains(serverText());
        assertThat(commands.paths(Identities.ephemeral().id().toString())).startsWith("no paths to");
    }

    private String serverText() {
        return "127.0.0.1:" + server.localAddress().getPort();
    }

    /** A peer's text cannot drive the receiver's terminal: escape codes and new lines are printed as '?'. */
    @Test
    void namesAndMessagesFromPeersArePrintedWithoutControlCharacters() throws Exception {
        assertThat(commands.send(ticket, "x\u001b[31mRED\u001b[0m\nINJECTED-LINE\u202eevil")).startsWith("delivered to");
        Path file = dir.resolve("x\u001b[31mRED\u001b[0m\nINJECTED-LINE");
        Files.write(file, new byte[] {1, 2, 3});
        assertThat(commands.sendfile(ticket, file.toString())).contains("stored as x?[31mRED?[0m?INJECTED-LINE");
        String out = "";
        for (int i = 0; i < 100 && !(out = printed.toString(StandardCharsets.UTF_8)).contains("stored "); i++) {
            Thread.sleep(20);
        }
        assertThat(out).contains("message: x?[31mRED?[0m?INJECTED-LINE?evil").doesNotContain("\u001b").doesNotContain("\u202e")
                .contains("received/x?[31mRED?[0m?INJECTED-LINE");
        assertThat(out.lines().filter(l -> l.startsWith("INJECTED-LINE"))).isEmpty();
        assertThat(dir.resolve("received").resolve("x?[31mRED?[0m?INJECTED-LINE")).hasBinaryContent(new byte[] {1, 2, 3});
    }

    @Test
    void messagesArePrintedByTheReceiver() throws Exception {
        assertThat(commands.send(ticket, "hello", "there")).startsWith("delivered to");
        for (int i = 0; i < 100 && !printed.toString(StandardCharsets.UTF_8).contains("message: hello there"); i++) {
            Thread.sleep(20);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("message: hello there");
        assertThatThrownBy(() -> commands.send(ticket, "x".repeat(Protocols.MAX_MESSAGE + 1))).hasMessageContaining("at most");
    }

    @Test
    void filesArriveIntactAndNeverOverwrite() throws Exception {
        Path file = dir.resolve("data.bin");
        byte[] data = new byte[3 * 1024 * 1024 + 5];
        new Random(1).nextBytes(data);
        Files.write(file, data);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        PrintStream original = System.out;
        ByteArrayOutputStream bar = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bar, true, StandardCharsets.UTF_8));
        String first;
        String second;
        try {
            first = commands.sendfile(ticket, file.toString());
            second = commands.sendfile(ticket, file.toString());
        } finally {
            System.setOut(original);
        }
        assertThat(first).contains("sent data.bin (" + data.length + " bytes)").contains("sha256=" + sha)
                .contains("stored as data.bin").as("the receiver's folders are its own").doesNotContain(dir.toString());
        assertThat(second).contains("stored as data.bin.1");
        assertThat(Files.readAllBytes(dir.resolve("received/data.bin"))).isEqualTo(data);
        assertThat(Files.readAllBytes(dir.resolve("received/data.bin.1"))).isEqualTo(data);
        assertThat(bar.toString(StandardCharsets.UTF_8)).contains("100%").contains("MB/s");
        assertThat(dir.resolve("received")).isDirectoryNotContaining("glob:**/.partial-*");
        assertThatThrownBy(() -> commands.sendfile(ticket, dir.resolve("nope").toString())).hasMessageContaining("no such file");
    }

    @Test
    void clearErrorsForUnknownPeersAndNoEndpoint() {
        assertThatThrownBy(() -> commands.ping(Identities.ephemeral().id().toString())).hasMessageContaining("no address known");
        assertThatThrownBy(() -> commands.ping("nonsense")).hasMessageContaining("EndpointId");
        commands.unsetEndpoint(client);
        assertThatThrownBy(commands::peers).hasMessageContaining("no endpoint");
    }
}
