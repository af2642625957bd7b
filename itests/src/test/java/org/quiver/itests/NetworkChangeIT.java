package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A distribution node in a network namespace sees the kernel change its addresses: the address it was reachable at
 * is removed and another one appears (as when a laptop moves to another network). Within a few seconds its
 * {@code quiver:status} names the change and its ticket carries the new address, not the old one.
 *
 * <pre>
 *   node 198.18.40.2 (then 198.18.41.2) --- 198.18.40.1 other
 * </pre>
 */
public class NetworkChangeIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aNodeSeesItsAddressChangeAndItsTicketFollows() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), "bindAddress = 0.0.0.0\nstunServers = none\n");
        try (Netns lab = new Netns()) {
            String ns = lab.add("nc-node");
            String other = lab.add("nc-other");
            lab.link(ns, "198.18.40.2/24", other, "198.18.40.1/24");
            String dev = Netns.dev(ns, "198.18.40.2");
            try (Node.Interactive node = new Node.Interactive(Netns.in(ns), "--home", home.toString())) {
                String before = node.typeUntil("quiver:status", "last network change", 60);
                assertThat(before).as(node.errors()).contains("none since the node started").contains("198.18.40.2");

                long t0 = System.nanoTime();
                Netns.sh("ip", "-n", ns, "addr", "add", "198.18.41.2/24", "dev", dev);
                Netns.sh("ip", "-n", ns, "addr", "del", "198.18.40.2/24", "dev", dev);
                String after = node.typeUntil("quiver:status", "last network change: 20", 20);
                long seenMillis = (System.nanoTime() - t0) / 1_000_000;
                String status = node.typeUntil("quiver:status", "198.18.41.2", 10);
                assertThat(status).as("the own address follows").contains("198.18.41.2").doesNotContain("198.18.40.2");
                assertThat(after).contains("last network change: 20");
                System.out.printf("a node saw its address change within %d ms (check interval 1 s, status typed every 300 ms)%n", seenMillis);
            }
        }
    }
}
