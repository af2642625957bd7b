package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.api.EndpointAddr;

/**
 * A plug-in author's path, run as one would: the example file-discovery bundle (examples/file-discovery, built
 * against quiver-api only) is dropped into a running node's deploy/ folder, and the node dials a peer by id alone,
 * found through the ticket file the operator wrote. Two distribution nodes on loopback.
 */
public class ExamplePluginIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** The jar of the example plug-in in {@code examples/<name>}, as this build made it. */
    private static Path example(String name) {
        Path root = Path.of(System.getProperty("quiver.root", ".."));
        String version = System.getProperty("quiver.version", "0.1.0-SNAPSHOT");
        Path jar = root.resolve("examples/" + name + "/target/quiver-example-" + name + "-" + version + ".jar");
        assertThat(jar).as("built by this build").exists();
        return jar;
    }

    @Test
    public void aDiscoveryPluginDroppedIntoDeployFindsAPeerById() throws Exception {
        Path plugin = example("file-discovery");
        Path a = tmp.newFolder("a").toPath();
        Path b = tmp.newFolder("b").toPath();
        for (Path home : new Path[] {a, b}) {
            Node.onLoopback(home);
        }
        try (Node.Interactive nodeB = new Node.Interactive("--home", b.toString());
             Node.Interactive nodeA = new Node.Interactive("--home", a.toString())) {
            String ticket = nodeB.answer("quiver:addr", "quiver[a-z2-7]{60,}", 30);
            String idB = EndpointAddr.fromTicket(ticket).id().toString();
            nodeA.answer("quiver:id", "[a-z2-7]{52}", 30);
            // by id alone, with no discovery that knows b: a clear failure
            String before = nodeA.typeOnce("quiver:ping " + idB + " 1", ".*(discovery|Cannot reach|no discovery).*", 30);
            assertThat(before).doesNotContain("pong from");

            // the operator writes b's ticket where the plug-in reads, and drops the plug-in into deploy/
            Files.createDirectories(a.resolve("peers"));
            Files.writeString(a.resolve("peers").resolve(idB + ".ticket"), ticket + "\n");
            Files.copy(plugin, a.resolve("deploy").resolve(plugin.getFileName()));
            String providers = nodeA.typeUntil("quiver:discovery", "files", 30);
            System.out.println("quiver:discovery after the drop:\n" + providers);
            String ping = nodeA.typeOnce("quiver:ping " + idB + " 2", ".*pong from.*", 30);
            System.out.println("quiver:ping " + idB + " 2\n" + ping);
            assertThat(ping).contains("pong from");
            String discover = nodeA.typeUntil("quiver:discover " + idB, "files", 10);
            assertThat(discover).contains("127.0.0.1");
        }
        // and bin/quiver -c sees what is in deploy/ too: the commands run once it is installed
        Node.Result once = Node.run(null, "--home", a.toString(), "-c", "quiver:discovery");
        assertThat(once.exitCode()).as(once.toString()).isZero();
        assertThat(once.out()).as(once.toString()).contains("files");
    }
    /** One request of the example protocol (examples/protocol-handler) on a new connection to {@code node}. */
    private static String upper(org.quiver.api.Endpoint client, EndpointAddr node, String text) throws Exception {
        java.time.Duration t = java.time.Duration.ofSeconds(10);
        org.quiver.api.Connection c = org.quiver.api.Blocking.await(client.connect(node, "example/upper/1"), t);
        try {
            org.quiver.api.BiStream s = org.quiver.api.Blocking.await(c.openBi(), t);
            try (java.io.OutputStream out = s.send().outputStream()) {
                out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            try (java.io.InputStream in = s.recv().inputStream()) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        } finally {
            c.close();
        }
    }

    @Test
    public void aProtocolHandlerPluginDroppedIntoDeployServesItsAlpnAndLeavesWithItsJar() throws Exception {
        Path plugin = example("protocol-handler");
        Path home = tmp.newFolder("node").toPath();
        Node.onLoopback(home);
        try (Node.Interactive node = new Node.Interactive("--home", home.toString());
             org.quiver.api.Endpoint client = org.quiver.transport.quic.QuicEndpoints.create(org.quiver.identity.Identities.ephemeral(),
                     new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), java.util.Map.of())) {
            EndpointAddr at = EndpointAddr.fromTicket(node.answer("quiver:addr", "quiver[a-z2-7]{60,}", 30));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> upper(client, at, "before"))
                    .as("nobody serves the ALPN yet: the handshake is refused").isInstanceOf(Exception.class);

            Path deployed = home.resolve("deploy").resolve(plugin.getFileName());
            Files.copy(plugin, deployed);
            String answer = null;
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (answer == null && System.nanoTime() < deadline) { // fileinstall polls deploy/ every second
                try {
                    answer = upper(client, at, "hot-installed");
                } catch (Exception notYet) {
                    Thread.sleep(250);
                }
            }
            assertThat(answer).as("served once the plug-in is installed").isEqualTo("HOT-INSTALLED");

            Files.delete(deployed);
            boolean refused = false;
            deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!refused && System.nanoTime() < deadline) {
                try {
                    upper(client, at, "after");
                    Thread.sleep(250);
                } catch (Exception gone) {
                    refused = true;
                }
            }
            assertThat(refused).as("refused again once the jar is gone").isTrue();
        }
    }
}
