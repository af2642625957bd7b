package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.discovery.dns.Bind9;

/**
 * Two distribution nodes and a real bind9 on loopback: b publishes its signed address by TSIG-signed dynamic
 * update, a finds b by id alone through DNS; then with a static peer entry too, both providers answer.
 */
public class DnsDiscoveryNodesIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static void node(Path home, Bind9 bind) throws Exception {
        Node.onLoopback(home);
        Files.writeString(home.resolve("conf/org.quiver.discovery.dns.cfg"), "zone = " + Bind9.ZONE + "\nserver = 127.0.0.1:"
                + bind.address().getPort() + "\ntsigName = " + Bind9.KEY + "\ntsigSecret = " + bind.secret() + "\n");
    }

    @Test
    public void aNodeFindsAnotherByIdThroughDnsAloneStaticAloneAndBoth() throws Exception {
        try (Bind9 bind = new Bind9(tmp.newFolder("bind").toPath())) {
            Path a = tmp.newFolder("a").toPath();
            Path b = tmp.newFolder("b").toPath();
            node(a, bind);
            node(b, bind);
            try (Node.Interactive nodeB = new Node.Interactive("--home", b.toString())) {
                String id = nodeB.answer("quiver:id", "[a-z2-7]{52}", 30);
                // b's record is in DNS once it published (asynchronously, at start)
                nodeB.typeUntil("quiver:discover " + id, "dns      found", 30);

                Node.Result r = Node.run(null, "--home", a.toString(), "-c", "quiver:discover " + id + "; quiver:ping " + id + " 2");
                assertThat(r.exitCode()).as(r.toString()).isZero();
                assertThat(r.out()).contains("pong from " + id.substring(0, 10)).containsPattern("dns +found in [0-9.]+ ms: EndpointAddr");

                // a static entry for b as well: both providers answer, the dial works
                String at = nodeB.typeUntil("quiver:status", "bound:", 10).lines().filter(l -> l.startsWith("bound:")).findFirst().orElseThrow()
                        .replaceAll("bound: \\[/?([0-9.]+:[0-9]+)\\]", "$1");
                Files.writeString(a.resolve("conf/org.quiver.discovery.static-b.cfg"), "id = " + id + "\naddresses = " + at + "\n");
                // static alone: a third node that knows b only from its conf/
                Path c = tmp.newFolder("c").toPath();
                Node.onLoopback(c);
                Files.writeString(c.resolve("conf/org.quiver.discovery.static-b.cfg"), "id = " + id + "\naddresses = " + at + "\n");
                Node.Result alone = Node.run(null, "--home", c.toString(), "-c", "quiver:ping " + id + "; quiver:discovery");
                assertThat(alone.exitCode()).as(alone.toString()).isZero();
                assertThat(alone.out()).contains("pong from " + id.substring(0, 10)).contains("static").doesNotContain("dns ");
                Node.Result both = Node.run(null, "--home", a.toString(), "-c", "quiver:discover " + id + "; quiver:ping " + id);
                assertThat(both.exitCode()).as(both.toString()).isZero();
                assertThat(both.out()).containsPattern("dns +found in").containsPattern("static +found in").contains("pong from " + id.substring(0, 10));
                assertThat(both.err()).as("dnsjava stops with its bundle").doesNotContain("NoClassDefFoundError");
            }
            assertThat(bind.log()).doesNotContain("update failed").doesNotContain("request has invalid signature");
        }
    }
}
