package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Two distribution nodes on a link whose MTU (1400, as on many VPNs and tunnels) is smaller than the 1472-byte
 * datagrams QUIC sends. The kernel fragments a lone datagram, but refuses a segmented send (GSO) whose segments do
 * not fit the device (EINVAL): the endpoint must notice and send datagram by datagram from then on, or every burst
 * is lost and the transfer limps on retransmissions. A file goes from a to b by ticket and arrives intact, and the
 * sender's metrics show that the kernel refused a segmented send, but only until the endpoint stopped sending them.
 *
 * <pre>
 *   a 198.18.50.1 --- (mtu 1400) --- 198.18.50.2 b
 * </pre>
 */
public class SmallMtuIT {
    private static final long BYTES = 32L * 1024 * 1024;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aFileCrossesALinkWithAnMtuBelowQuicsDatagrams() throws Exception {
        try (Netns lab = new Netns()) {
            String nsA = lab.add("mtu-a");
            String nsB = lab.add("mtu-b");
            lab.link(nsA, "198.18.50.1/24", nsB, "198.18.50.2/24");
            Netns.sh("ip", "-n", nsA, "link", "set", Netns.dev(nsA, "198.18.50.1"), "mtu", "1400");
            Netns.sh("ip", "-n", nsB, "link", "set", Netns.dev(nsB, "198.18.50.2"), "mtu", "1400");
            Path a = home("a", "198.18.50.1");
            Path b = home("b", "198.18.50.2");
            Path file = tmp.getRoot().toPath().resolve("payload.bin");
            String sha = TransferIT.writeRandom(file, BYTES);

            try (Node.Interactive nodeB = new Node.Interactive(Netns.in(nsB), "--home", b.toString())) {
                String ticket = nodeB.answer("quiver:addr", "quiver[a-z2-7]{60,}", 30);
                String idA = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c", "quiver:id").out().lines().findFirst()
                        .orElseThrow().strip();
                nodeB.typeUntil("quiver:accept " + idA, "are taken", 10);

                long t0 = System.nanoTime();
                Node.Result send = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c",
                        "quiver:sendfile " + ticket + " " + file + "; quiver:metrics");
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertThat(send.exitCode()).as(send.toString()).isZero();
                assertThat(send.out()).contains("sent payload.bin (" + BYTES + " bytes)").contains("sha256=" + sha);
                assertThat(TransferIT.sha(b.resolve("received/payload.bin"))).isEqualTo(sha);
                java.util.regex.Matcher refused = java.util.regex.Pattern
                        .compile("quiver_dropped_datagrams_total\\{reason=\"segmented-send-failed\"\\} ([0-9.E]+)").matcher(send.out());
                assertThat(refused.find()).as("the kernel refused a segmented send (else this link tests nothing): " + send.out()).isTrue();
                double refusals = Double.parseDouble(refused.group(1));
                System.out.printf("segmented sends refused: %.0f%n", refusals);
                // the first refusal turns segmentation off; the few bursts already queued behind it in the same
                // flush fail too. Without the fallback every burst is refused (103 in a run of this test).
                assertThat(refusals).as("segmentation was turned off after the first refusal").isLessThanOrEqualTo(10);
                System.out.printf("32 MiB over a link with MTU 1400: %.1f s for the whole command (%.1f MB/s with the JVM's start)%n",
                        seconds, BYTES / 1e6 / seconds);
            }
        }
    }

    private Path home(String name, String bind) throws Exception {
        Path home = tmp.newFolder(name).toPath();
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), "bindAddress = " + bind + "\nstunServers = none\n");
        return home;
    }
}
