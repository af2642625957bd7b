package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * A node moves to another network mid-transfer: a, behind its home router, sends b (behind its own) a file by id over
 * a punched direct path; then a's link to its router is deleted and a new router (another network, another public
 * address) is linked in its place, as when a laptop moves from one Wi-Fi to another. The node's process is not told:
 * it sees its addresses change, checks its relay connection, leaves the dead direct path, and the transfer goes on
 * through the relay (and then on a path punched from the new network). The file arrives byte-exact; the stall (from
 * the move to b receiving more) is printed. Default probe interval (2 s: a dead path is left after 6.5 s without the
 * network-change handling).
 *
 * <pre>
 *   relay --- inet --- router a1 --- a   (then: inet --- router a2 --- a)
 *               +----- router b  --- b
 * </pre>
 */
public class NetworkMoveIT {
    private static final long MIB = 1024 * 1024;
    private static final String SENT = "sent payload\\.bin \\(\\d+ bytes\\).*|Error.*|.*Exception.*";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aNodeMovedToAnotherNetworkMidTransferFinishesItByRelayThenDirect() throws Exception {
        try (NatLab lab = new NatLab(tmp.newFolder("lab").toPath())) {
            lab.startRelay();
            LabNode a = lab.node("a", Nat.EIM, "");
            LabNode b = lab.node("b", Nat.EIM, "");
            lab.uplink(a, "100mbit"); // the first network's uplink: the transfer lasts seconds
            lab.startNodes();
            Path file = tmp.getRoot().toPath().resolve("payload.bin");
            String sha = TransferIT.writeRandom(file, 96 * MIB);

            a.shell.type("quiver:sendfile " + b.id + " " + file);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (HolePunchTransferIT.received(b, "direct") < 16.0 * MIB && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(HolePunchTransferIT.received(b, "direct")).as("the transfer runs direct before the move").isGreaterThanOrEqualTo(16.0 * MIB);

            long t0 = System.nanoTime();
            lab.move(a, Nat.EIM);
            long moved = System.nanoTime();
            double relayAtMove = HolePunchTransferIT.received(b, "relay");
            double directAtMove = HolePunchTransferIT.received(b, "direct");
            // what was queued at the old uplink (100 ms of it) may still land after the move: the stall ends when 2 MiB
            // more than what b had when the move was done have come
            long resumedMillis = HolePunchTransferIT.millisUntilMore(b, relayAtMove + directAtMove, 2.0 * MIB, moved);
            String out = a.shell.typeOnce("", SENT, 180);
            assertThat(out).containsPattern("sent payload\\.bin \\(" + 96 * MIB + " bytes\\)").contains("sha256=" + sha);
            assertThat(TransferIT.sha(b.home.resolve("received/payload.bin"))).isEqualTo(sha);
            double relayed = HolePunchTransferIT.received(b, "relay") - relayAtMove;
            double direct = HolePunchTransferIT.received(b, "direct") - directAtMove;
            String paths = a.shell.typeOnce("quiver:paths " + b.id, "\\* .*", 10);
            System.out.printf("moved in %d ms; 2 MiB more received %d ms after the move; after it %.1f MiB through the relay, %.1f MiB direct%n%s%n",
                    (moved - t0) / 1_000_000, resumedMillis, relayed / MIB, direct / MIB, paths);
            String status = a.shell.typeOnce("quiver:status", "last network change: .*", 10);
            assertThat(status).as("the node saw the change").contains("last network change: 20");
            assertThat(a.shell.errors() + b.shell.errors()).doesNotContain("Exception");
        }
    }
}
