package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * Two nodes behind their own port-restricted NATs (plain MASQUERADE), the sender's uplink 100 Mbit/s, that
 * know each other only by id. A 64 MiB file sent through the relay (the sender's UDP blocked for its first
 * megabytes) moves to the punched direct path while it runs and arrives whole; then, during a second 64 MiB transfer, every UDP datagram between the sender and the
 * internet is dropped (iptables DROP at its router): the transfer finishes over the relay, every byte correct.
 */
public class HolePunchTransferIT {
    private static final long MIB = 1024 * 1024;
    private static final String SENT = "sent payload\\d?\\.bin \\(\\d+ bytes\\).*|Error.*|.*Exception.*";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** {@code quiver_received_bytes_total} of {@code kind} ("relay" or "direct") on {@code node}. */
    static double received(LabNode node, String kind) throws Exception {
        return metric(node, "quiver_received_bytes_total{path_kind=\"" + kind + "\"}");
    }

    /**
     * Waits (at most 60 s) until {@code node} has received {@code more} bytes beyond the {@code had} it had (direct and
     * relayed together) and returns how many milliseconds after {@code since} that was: the stall of a transfer after
     * something broke its path at {@code since}. What was queued on the way before may still land: hence "more".
     */
    static long millisUntilMore(LabNode node, double had, double more, long since) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        double now = had;
        while (now < had + more && System.nanoTime() < deadline) {
            Thread.sleep(20);
            now = received(node, "direct") + received(node, "relay");
        }
        return (System.nanoTime() - since) / 1_000_000;
    }

    /** The value of the metric series {@code series} (name and labels, as printed) on {@code node}. */
    static double metric(LabNode node, String series) throws Exception {
        String metrics = node.shell.typeOnce("quiver:metrics", Pattern.quote(series) + " .*", 10);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)").matcher(metrics);
        assertThat(m.find()).as(metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    public void aTransferStartedOverTheRelayFinishesDirectAndFallsBackToTheRelayWhenTheDirectPathDies() throws Exception {
        try (NatLab lab = new NatLab(tmp.newFolder("lab").toPath())) {
            lab.startRelay();
            LabNode a = lab.node("a", Nat.EIM, "probeIntervalMillis = 500\n");
            LabNode b = lab.node("b", Nat.EIM, "probeIntervalMillis = 500\n");
            lab.uplink(a, "100mbit");
            lab.startNodes();
            Path first = tmp.getRoot().toPath().resolve("payload.bin");
            Path second = tmp.getRoot().toPath().resolve("payload2.bin");
            String sha1 = TransferIT.writeRandom(first, 64 * MIB);
            String sha2 = TransferIT.writeRandom(second, 64 * MIB);

            // 1. by id, while the sender's UDP is blocked: the dial and the first megabytes go through the relay;
            // once UDP works again, the next call round punches and the running transfer moves to the direct path
            lab.blackholeUdp(a);
            a.shell.type("quiver:sendfile " + b.id + " " + first);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (received(b, "relay") < 4.0 * MIB && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            lab.restoreUdp(a);
            String out = a.shell.typeOnce("", SENT, 120);
            assertThat(out).containsPattern("sent payload\\.bin \\(" + 64 * MIB + " bytes\\)").contains("sha256=" + sha1);
            assertThat(TransferIT.sha(b.home.resolve("received/payload.bin"))).isEqualTo(sha1);
            double relayed = received(b, "relay");
            double direct = received(b, "direct");
            System.out.printf("first transfer: %.0f bytes received through the relay, %.0f direct%n", relayed, direct);
            assertThat(relayed).as("the transfer started over the relay").isGreaterThan(4.0 * MIB);
            assertThat(direct).as("and went on over the punched direct path").isGreaterThan(8.0 * MIB);
            assertThat(metric(a, "quiver_holepunch_successes_total")).as("counted as a hole punched").isGreaterThanOrEqualTo(1);
            String paths = a.shell.typeOnce("quiver:paths " + b.id, "\\* direct .*", 10);
            assertThat(paths).containsPattern("\\* direct +198\\.18\\.\\d+\\.2:\\d+ +valid");

            // 2. the direct path dies mid-transfer: the rest goes through the relay
            a.shell.type("quiver:sendfile " + b.id + " " + second);
            deadline = System.nanoTime() + 30_000_000_000L;
            while (received(b, "direct") < direct + 8.0 * MIB && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(received(b, "direct")).as("the second transfer runs direct").isGreaterThanOrEqualTo(direct + 8.0 * MIB);
            double relayedBefore = received(b, "relay");
            lab.blackholeUdp(a);
            String done = a.shell.typeOnce("", SENT, 120);
            assertThat(done).containsPattern("sent payload2\\.bin \\(" + 64 * MIB + " bytes\\)").contains("sha256=" + sha2);
            assertThat(TransferIT.sha(b.home.resolve("received/payload2.bin"))).isEqualTo(sha2);
            double fallback = received(b, "relay") - relayedBefore;
            System.out.printf("second transfer: %.0f bytes received through the relay after the blackhole%n", fallback);
            assertThat(fallback).as("the rest came through the relay").isGreaterThan(8.0 * MIB);
            assertThat(a.shell.typeOnce("quiver:paths " + b.id, "\\* relay .*", 10)).containsPattern("\\* relay +" + Pattern.quote(NatLab.RELAY_URL));
            assertThat(a.shell.errors() + b.shell.errors()).doesNotContain("Exception");
        }
    }
}
