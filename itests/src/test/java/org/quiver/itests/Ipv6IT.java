package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.Family;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * IPv6 on equal terms, in a {@link NatLab} with IPv6 on every link: nodes with the default configuration (bound to
 * {@code ::}, one dual-stack socket) publish and probe their IPv6 addresses as they do their IPv4 ones.
 * <ul>
 *   <li>Two dual-stack nodes on the internet, each with an IPv4 and an IPv6 address, reach each other both ways; with
 *   the round trips alike (within the selector's 3 ms advantage) both sides choose the IPv6 path, the IPv4 one valid
 *   beside it. When one node's IPv6 address goes away, their connection goes on over IPv4, direct.</li>
 *   <li>Two IPv6-only nodes (no IPv4 address at all), each behind a home router whose IPv6 firewall lets nothing
 *   unsolicited in, know each other only by id: they meet at the relay over IPv6, punch through both firewalls and
 *   move a file on the direct IPv6 path.</li>
 * </ul>
 *
 * <pre>
 *   relay 198.18.0.2, fd51::2 ---+
 *                                |  inet (forwards both families)
 *   a 198.18.1.2, fd51:1::2 -----+
 *   b 198.18.2.2, fd51:2::2 -----+
 *                                +--- router c (fd51:3::2) --filter-- fd52:3::2 c (IPv6 only)
 *                                +--- router d (fd51:4::2) --filter-- fd52:4::2 d (IPv6 only)
 * </pre>
 */
public class Ipv6IT {
    private static final long MIB = 1024 * 1024;
    /** The default configuration: bound to {@code ::}, one dual-stack socket. */
    private static final String DUAL_STACK = "";

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    private static NatLab lab;
    private static LabNode a;
    private static LabNode b;
    private static LabNode c;
    private static LabNode d;

    @BeforeClass
    public static void startLab() throws Exception {
        lab = new NatLab(tmp.newFolder("lab").toPath(), true);
        try {
            lab.startRelay();
            a = lab.node("a", Nat.PUBLIC, Family.DUAL, DUAL_STACK);
            b = lab.node("b", Nat.PUBLIC, Family.DUAL, DUAL_STACK);
            c = lab.node("c", Nat.EIM, Family.V6, DUAL_STACK);
            d = lab.node("d", Nat.EIM, Family.V6, DUAL_STACK);
            lab.startNodes();
        } catch (Exception | AssertionError e) {
            lab.close();
            lab = null;
            throw e;
        }
    }

    @AfterClass
    public static void closeLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    public void dualStackNodesPublishBothFamiliesAndChooseIpv6WhenItIsAsFastAsIpv4() throws Exception {
        String status = a.shell.typeOnce("quiver:status", "addresses: .*", 10);
        assertThat(status).as("a dual-stack node publishes both families").containsPattern("addresses: .*198\\.18\\.1\\.2:\\d+")
                .containsPattern("addresses: .*\\[fd51:1:0:0:0:0:0:2\\]:\\d+").as("no interface scope in a published address").doesNotContainPattern("addresses: .*%");
        assertThat(a.shell.typeOnce("quiver:ping " + b.id + " 2", "pong from .*|Error.*|.*Exception.*", 30)).contains("pong from");

        String ab = ipv6ChosenBesideIpv4(a, b, "fd51:2::2", "198\\.18\\.2\\.2");
        String ba = ipv6ChosenBesideIpv4(b, a, "fd51:1::2", "198\\.18\\.1\\.2");
        System.out.println("a's paths to b:\n" + ab + "\nb's paths to a:\n" + ba);

        // a's IPv6 goes away (its prefix withdrawn, a VPN down): the live connection goes on over IPv4, direct
        long t0 = System.nanoTime();
        Netns.sh("ip", "-n", a.ns, "-6", "addr", "del", "fd51:1::2/64", "dev", Netns.dev(a.ns, "198.18.1.2"));
        String pong = a.shell.typeOnce("quiver:ping " + b.id + " 1", "pong from .*|Error.*|.*Exception.*", 30);
        long answered = (System.nanoTime() - t0) / 1_000_000;
        String after = "";
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && !after.matches("(?s).*\\* direct +198\\.18\\.1\\.2:\\d+ +valid.*")) {
            after = b.shell.typeOnce("quiver:paths " + a.id, "\\*.*", 10);
            Thread.sleep(100);
        }
        long moved = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("a's IPv6 address removed: a ping answered after %d ms; b on a's IPv4 address after %d ms%n%s%n", answered, moved, after);
        assertThat(pong).contains("pong from");
        assertThat(after).as("b follows a to IPv4, direct").containsPattern("(?m)^\\* direct +198\\.18\\.1\\.2:\\d+ +valid");
        assertThat(a.shell.errors() + b.shell.errors()).doesNotContain("Exception");
    }

    @Test
    public void anIpv6OnlyPairBehindFirewallsConnectsDirectlyById() throws Exception {
        String status = c.shell.typeOnce("quiver:status", "addresses: .*", 10);
        assertThat(status).as("an IPv6-only node publishes its IPv6 address").containsPattern("addresses: .*\\[fd52:3:0:0:0:0:0:2\\]:\\d+");
        assertThat(c.shell.typeOnce("quiver:ping " + d.id + " 2", "pong from .*|Error.*|.*Exception.*", 30)).contains("pong from");
        String paths = "";
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && !paths.contains("* direct")) {
            paths = c.shell.typeOnce("quiver:paths " + d.id, "\\*.*", 10);
            Thread.sleep(200);
        }
        System.out.println("c's paths to d:\n" + paths);
        assertThat(paths).as("c punched through both firewalls to d's IPv6 address")
                .containsPattern("(?m)^\\* direct +\\[fd52:4::2\\]:\\d+ +valid");

        Path file = tmp.getRoot().toPath().resolve("payload.bin");
        String sha = TransferIT.writeRandom(file, 8 * MIB);
        double directBefore = HolePunchTransferIT.received(d, "direct");
        String out = c.shell.typeOnce("quiver:sendfile " + d.id + " " + file, "sent payload\\.bin \\(\\d+ bytes\\).*|Error.*|.*Exception.*", 60);
        assertThat(out).contains("sent payload.bin (" + 8 * MIB + " bytes)").contains("sha256=" + sha);
        assertThat(TransferIT.sha(d.home.resolve("received/payload.bin"))).isEqualTo(sha);
        assertThat(HolePunchTransferIT.received(d, "direct") - directBefore).as("the file came on the direct path").isGreaterThanOrEqualTo(8.0 * MIB);
        assertThat(c.shell.errors() + d.shell.errors()).doesNotContain("Exception");
    }

    /**
     * An attacker with an IPv6 /64 of its own against the relay's per-source limits, every connection and request
     * from another address of it: the relay counts the /64 as one source, so its limit of 256 connections per source
     * closes the rest at once, and its STUN budget (64 at once) answers a fraction of 200 spoofed-looking requests.
     * Counted per address, all 300 connections would stay open and all 200 requests be answered.
     */
    @Test
    public void anAttackerSpreadOverItsIpv6Slash64IsOneSourceToTheRelay() throws Exception {
        String m = lab.slash64Host("m", "fd53:9::");
        String tcp = SourceSpread.run(m, "tcp", NatLab.RELAY_IP6, "3340", "fd53:9::", "300");
        String stun = SourceSpread.run(m, "stun", NatLab.RELAY_IP6, "3478", "fd53:9::", "200");
        System.out.println("300 connections from one /64: " + tcp + "; 200 STUN requests from it: " + stun);
        assertThat(tcp).isEqualTo("closed=44 open=256");
        int answered = Integer.parseInt(stun.replace("answered=", ""));
        assertThat(answered).as("the burst and what refilled while they came").isBetween(64, 100);
        // the nodes using the relay are not disturbed by it
        assertThat(a.shell.typeOnce("quiver:ping " + b.id + " 1", "pong from .*|Error.*|.*Exception.*", 30)).contains("pong from");
    }

    /**
     * {@code from}'s paths to {@code to}, as {@code quiver:paths} prints them, once a direct path to {@code to}'s IPv6
     * address {@code v6} is the selected one and a direct path to its IPv4 address (regex {@code v4}) is valid beside
     * it. The first round trips, measured while both JVMs warm up, may differ by more than 3 ms and choose IPv4: the
     * IPv6 path takes over once the probes' RTTs settle within 3 ms of each other (at most 30 s).
     */
    private static String ipv6ChosenBesideIpv4(LabNode from, LabNode to, String v6, String v4) throws Exception {
        Pattern six = Pattern.compile("(?m)^\\* direct +\\[" + Pattern.quote(v6) + "\\]:\\d+ +valid");
        Pattern four = Pattern.compile("(?m)^  direct +" + v4 + ":\\d+ +valid");
        String paths = "";
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && !(six.matcher(paths).find() && four.matcher(paths).find())) {
            paths = from.shell.typeOnce("quiver:paths " + to.id, "\\*.*", 10);
            Thread.sleep(200);
        }
        assertThat(paths).as(from.name + " chose IPv6 to " + to.name + ", IPv4 valid beside it").containsPattern(six).containsPattern(four);
        return paths;
    }
}
