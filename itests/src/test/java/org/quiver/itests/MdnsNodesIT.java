package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Two distribution nodes on one link (network namespaces 198.18.10.1 and .2, a veth pair), each with the mDNS
 * provider configured: a finds b by id alone on the link and reaches it.
 */
public class MdnsNodesIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static Path node(Path home, String ip) throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), "bindAddress = " + ip + "\n");
        Files.writeString(home.resolve("conf/org.quiver.discovery.mdns.cfg"), "bindAddress = " + ip + "\n");
        return home;
    }

    @Test
    public void aNodeFindsAnotherOnTheLinkByIdAlone() throws Exception {
        try (Netns net = new Netns()) {
            String nsA = net.add("ma");
            String nsB = net.add("mb");
            net.link(nsA, "198.18.10.1/24", nsB, "198.18.10.2/24");
            net.multicastVia(nsA, "198.18.10.1");
            net.multicastVia(nsB, "198.18.10.2");
            Path a = node(tmp.newFolder("a").toPath(), "198.18.10.1");
            Path b = node(tmp.newFolder("b").toPath(), "198.18.10.2");
            try (Node.Interactive nodeB = new Node.Interactive(Netns.in(nsB), "--home", b.toString())) {
                String id = nodeB.answer("quiver:id", "[a-z2-7]{52}", 30);
                // b's announcement carries its final address (the endpoint restarts once conf/ is read, and an
                // announcement takes a second or two of probing on the link)
                String at = nodeB.typeUntil("quiver:status", "bound: [/198.18.10.2:", 30).lines().filter(l -> l.startsWith("bound:"))
                        .findFirst().orElseThrow().replaceAll("bound: \\[/?([0-9.]+:[0-9]+)\\]", "$1");
                nodeB.typeUntil("quiver:discover " + id, at, 30);
                Node.Result r = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c",
                        "quiver:ping " + id + " 2; quiver:discover " + id);
                assertThat(r.exitCode()).as(r.toString()).isZero();
                assertThat(r.out()).contains("pong from " + id.substring(0, 10)).containsPattern("mdns +found in [0-9.]+ ms: EndpointAddr")
                        .contains("198.18.10.2");
            }
        }
    }

    /** All three providers at once (bind9 runs in a's namespace, reached by b over the link): each finds b. */
    @Test
    public void staticDnsAndMdnsTogether() throws Exception {
        try (Netns net = new Netns()) {
            String nsA = net.add("xa");
            String nsB = net.add("xb");
            net.link(nsA, "198.18.11.1/24", nsB, "198.18.11.2/24");
            net.multicastVia(nsA, "198.18.11.1");
            net.multicastVia(nsB, "198.18.11.2");
            try (org.quiver.discovery.dns.Bind9 bind = new org.quiver.discovery.dns.Bind9(tmp.newFolder("bind").toPath(), Netns.in(nsA),
                    java.net.InetAddress.getByName("198.18.11.1"), 5300)) {
                Path a = node(tmp.newFolder("a").toPath(), "198.18.11.1");
                Path b = node(tmp.newFolder("b").toPath(), "198.18.11.2");
                for (Path home : new Path[] {a, b}) {
                    Files.writeString(home.resolve("conf/org.quiver.discovery.dns.cfg"), "zone = " + org.quiver.discovery.dns.Bind9.ZONE
                            + "\nserver = 198.18.11.1:5300\ntsigName = " + org.quiver.discovery.dns.Bind9.KEY + "\ntsigSecret = " + bind.secret() + "\n");
                }
                try (Node.Interactive nodeB = new Node.Interactive(Netns.in(nsB), "--home", b.toString())) {
                    String id = nodeB.answer("quiver:id", "[a-z2-7]{52}", 30);
                    nodeB.typeUntil("quiver:discover " + id, "dns      found", 30);
                    String at = nodeB.typeUntil("quiver:status", "bound:", 10).lines().filter(l -> l.startsWith("bound:")).findFirst()
                            .orElseThrow().replaceAll("bound: \\[/?([0-9.]+:[0-9]+)\\]", "$1");
                    Files.writeString(a.resolve("conf/org.quiver.discovery.static-b.cfg"), "id = " + id + "\naddresses = " + at + "\n");
                    Node.Result r = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c", "quiver:discover " + id + "; quiver:ping " + id);
                    assertThat(r.exitCode()).as(r.toString()).isZero();
                    assertThat(r.out()).containsPattern("dns +found in").containsPattern("mdns +found in").containsPattern("static +found in")
                            .contains("pong from " + id.substring(0, 10));
                }
            }
        }
    }
}
