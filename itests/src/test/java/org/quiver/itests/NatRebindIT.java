package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * A NAT rebinding mid-transfer: a sends b (each behind its own port-restricted router) a file by id over a punched
 * direct path; then a's router flushes its UDP mappings and maps a anew to another port, as a home router does when it
 * reboots or times a mapping out. Neither node is told. b sees a's datagrams arrive from a new address: QUIC takes them
 * as a's (RFC 9000 9.3, the router's {@code rebind}), b's traffic follows them there, and the transfer goes on direct.
 * The file arrives byte-exact; the stall (from the flush to b receiving 2 MiB more) is printed.
 *
 * <pre>
 *   relay --- inet --- router a (flushed, new port) --- a
 *               +----- router b --------------------- b
 * </pre>
 */
public class NatRebindIT {
    private static final long MIB = 1024 * 1024;
    private static final String SENT = "sent payload\\.bin \\(\\d+ bytes\\).*|Error.*|.*Exception.*";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aTransferGoesOnDirectWhenTheSendersNatMapsItToANewPort() throws Exception {
        try (NatLab lab = new NatLab(tmp.newFolder("lab").toPath())) {
            lab.startRelay();
            LabNode a = lab.node("a", Nat.EIM, "");
            LabNode b = lab.node("b", Nat.EIM, "");
            lab.uplink(a, "100mbit"); // the transfer lasts seconds
            lab.startNodes();
            Path file = tmp.getRoot().toPath().resolve("payload.bin");
            String sha = TransferIT.writeRandom(file, 64 * MIB);

            a.shell.type("quiver:sendfile " + b.id + " " + file);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (HolePunchTransferIT.received(b, "direct") < 8.0 * MIB && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(HolePunchTransferIT.received(b, "direct")).as("the transfer runs direct before the rebinding").isGreaterThanOrEqualTo(8.0 * MIB);
            String before = b.shell.typeOnce("quiver:paths " + a.id, "\\* .*", 10);

            lab.rebind(a);
            long flushed = System.nanoTime();
            double relayAt = HolePunchTransferIT.received(b, "relay");
            double directAt = HolePunchTransferIT.received(b, "direct");
            long resumedMillis = HolePunchTransferIT.millisUntilMore(b, relayAt + directAt, 2.0 * MIB, flushed);
            String out = a.shell.typeOnce("", SENT, 180);
            assertThat(out).containsPattern("sent payload\\.bin \\(" + 64 * MIB + " bytes\\)").contains("sha256=" + sha);
            assertThat(TransferIT.sha(b.home.resolve("received/payload.bin"))).isEqualTo(sha);
            double relayed = HolePunchTransferIT.received(b, "relay") - relayAt;
            double direct = HolePunchTransferIT.received(b, "direct") - directAt;
            String after = b.shell.typeOnce("quiver:paths " + a.id, "\\* .*", 10);
            System.out.printf("rebinding: 2 MiB more received %d ms after the flush; after it %.1f MiB direct, %.1f MiB through the relay%n"
                    + "b's paths to a before:%n%s%nafter:%n%s%n", resumedMillis, direct / MIB, relayed / MIB, before, after);
            assertThat(after).as("b's selected path now goes to a's new port").containsPattern("(?m)^\\* direct +198\\.18\\.\\d+\\.2:20\\d\\d\\d ");
            assertThat(direct).as("the rest of the transfer went direct").isGreaterThan(relayed);
            // ~1.1 s here; 10 s and the rest through the relay before a silent path was put in doubt (the bound leaves a busy machine room)
            assertThat(resumedMillis).as("the stall").isLessThan(5_000);
            assertThat(a.shell.errors() + b.shell.errors()).doesNotContain("Exception");
        }
    }
}
