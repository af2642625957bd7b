package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * The NAT matrix: for every pair of NAT kinds, a node dials another knowing only its id, through the relay
 * both use, and waits for hole punching. Does it connect, does it end up direct, and how long until it is
 * direct? Printed as a table (also written to target/nat-matrix.txt). Every pair must connect; a pair where
 * one side is public (and the other has UDP), both have endpoint-independent mapping, or one has it and the
 * other is symmetric (birthday punching), must end up direct; a side with UDP blocked must stay relayed. Right after
 * each pair, the dialer (if behind a NAT) moves to another router of its kind (its link deleted, a new one made:
 * {@link NatLab#move}), unannounced, and the pair's live connection must go on: a ping on it answered (how long after
 * the move, and the path it runs on a second after the answer, are printed). The moved dialer dials its next pairs
 * from its new network.
 */
public class NatMatrixIT {
    /** How long a pair may take to go direct: the call rounds go out over 15 s, but working punches take well under a second. */
    static final int WAIT_DIRECT_SECONDS = 10;
    private static final Pattern CONNECTED = Pattern.compile("connected to \\S+ via (relay|direct) .* in (\\d+) ms, rtt .*");
    private static final Pattern OUTCOME = Pattern.compile("(direct after (\\d+) ms: .*|still .* after \\d+ s \\(no direct path\\)|Error.*|.*Exception.*)");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    record Row(LabNode from, LabNode to, Nat a, Nat b, boolean connected, String firstPath, long connectMs, boolean direct, long directMs,
               String detail) {
    }

    /** What became of a pair's connection when its dialer moved to another router of its kind. */
    record Move(boolean survived, long answeredMs, String path, String detail) {
    }

    static boolean mustGoDirect(Nat a, Nat b) {
        if (a == Nat.UDP_BLOCKED || b == Nat.UDP_BLOCKED) {
            return false;
        }
        // a symmetric side facing a port-restricted one: birthday punching (98% per round, two rounds)
        return a == Nat.PUBLIC || b == Nat.PUBLIC || a == Nat.EIM && b == Nat.EIM
                || a == Nat.EIM && b == Nat.SYMMETRIC || a == Nat.SYMMETRIC && b == Nat.EIM;
    }

    @Test
    public void everyPairConnectsByIdAndTheOnesThatCanBePunchedGoDirect() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (NatLab lab = new NatLab(tmp.getRoot().toPath())) {
            lab.startRelay();
            Map<Nat, LabNode[]> nodes = new EnumMap<>(Nat.class);
            for (Nat nat : Nat.values()) {
                String base = nat.name().toLowerCase(Locale.ROOT).replace("udp_", "").substring(0, 3);
                nodes.put(nat, new LabNode[] {lab.node(base + "1", nat, ""), lab.node(base + "2", nat, "")});
            }
            lab.startNodes();
            Nat[] kinds = Nat.values();
            Map<Row, Move> moves = new java.util.HashMap<>();
            for (int i = 0; i < kinds.length; i++) {
                for (int j = i; j < kinds.length; j++) {
                    Row r = pair(nodes.get(kinds[i])[0], nodes.get(kinds[j])[1]);
                    rows.add(r);
                    // then the dialer (if behind a NAT) moves to another router of its kind, as a laptop moves to another
                    // Wi-Fi, while the connection is live: does it go on (a ping on it answered), how soon, on which path
                    if (r.a() != Nat.PUBLIC && r.connected()) { // a node on the internet has no router to leave
                        lab.move(r.from(), r.a());
                        moves.put(r, afterMove(r.from(), r.to(), System.nanoTime()));
                    }
                }
            }
            String table = table(rows, moves) + "\nlab:\n" + lab.describe();
            System.out.println(table);
            Files.writeString(Path.of("target", "nat-matrix.txt"), table);
            SoftAssertions soft = new SoftAssertions();
            for (Row r : rows) {
                soft.assertThat(r.connected()).as("%s -> %s connects: %s", r.a().label, r.b().label, r.detail()).isTrue();
                if (mustGoDirect(r.a(), r.b())) {
                    soft.assertThat(r.direct()).as("%s -> %s ends up direct: %s", r.a().label, r.b().label, r.detail()).isTrue();
                }
                if (r.a() == Nat.UDP_BLOCKED || r.b() == Nat.UDP_BLOCKED) {
                    soft.assertThat(r.direct()).as("%s -> %s has no UDP, so no direct path: %s", r.a().label, r.b().label, r.detail()).isFalse();
                }
                Move mv = moves.get(r);
                if (r.connected() && r.a() != Nat.PUBLIC) {
                    soft.assertThat(mv != null && mv.survived()).as("%s -> %s survives the dialer's move: %s", r.a().label, r.b().label,
                            mv == null ? "not moved" : mv.detail()).isTrue();
                }
            }
            soft.assertAll();
        }
    }

    /** {@code a} dials {@code b} by id and waits for a direct path. */
    static Row pair(LabNode a, LabNode b) throws Exception {
        String line = "quiver:connect " + b.id + " " + WAIT_DIRECT_SECONDS;
        String printed;
        try {
            printed = a.shell.typeOnce(line, OUTCOME.pattern(), 30 + WAIT_DIRECT_SECONDS);
        } catch (AssertionError e) {
            return new Row(a, b, a.nat, b.nat, false, "-", -1, false, -1, e.getMessage());
        }
        Matcher m = null;
        Matcher d = null;
        for (String l : printed.split("\\R")) {
            Matcher c = CONNECTED.matcher(l.strip());
            if (c.matches()) {
                m = c;
            }
            Matcher x = Pattern.compile("direct after (\\d+) ms: .*").matcher(l.strip());
            if (x.matches()) {
                d = x;
            }
        }
        if (m == null) {
            return new Row(a, b, a.nat, b.nat, false, "-", -1, false, -1, printed.strip());
        }
        String detail = printed.strip();
        if (d == null && mustGoDirect(a.nat, b.nat)) {
            detail += "\n" + explain(a, b) + "\n" + explain(b, a);
        }
        return new Row(a, b, a.nat, b.nat, true, m.group(1), Long.parseLong(m.group(2)), d != null, d != null ? Long.parseLong(d.group(1)) : -1,
                detail);
    }

    /** What {@code a} knows of its paths to {@code b} and of its own network, for a pair that should have gone direct. */
    static String explain(LabNode a, LabNode b) {
        try {
            return a.name + "'s paths to " + b.name + ":\n" + a.shell.typeOnce("quiver:paths " + b.id, "\\*.*", 10)
                    + a.name + "'s status:\n" + a.shell.typeOnce("quiver:status", "connections:.*", 10);
        } catch (Exception | AssertionError e) {
            return a.name + ": " + e.getMessage();
        }
    }

    /** A ping on {@code a}'s connection to {@code b}, typed once the move is done: answered, how long after the move, on which path. */
    static Move afterMove(LabNode a, LabNode b, long moved) {
        String printed;
        try {
            printed = a.shell.typeOnce("quiver:ping " + b.id + " 1", "pong from .*|Error.*|.*Exception.*", MOVE_ANSWER_SECONDS);
        } catch (Exception | AssertionError e) {
            return new Move(false, -1, "-", e.getMessage() + "\n" + afterFailedMove(a, b));
        }
        long answered = (System.nanoTime() - moved) / 1_000_000;
        if (!printed.contains("pong from")) {
            return new Move(false, -1, "-", printed.strip());
        }
        String path;
        try {
            Thread.sleep(1000); // a direct path punched from the new network may take a moment more
            String paths = a.shell.typeOnce("quiver:paths " + b.id, "\\*.*", 10);
            Matcher sel = Pattern.compile("(?m)^\\* (\\w+)").matcher(paths);
            path = sel.find() ? sel.group(1) : "?";
        } catch (Exception | AssertionError e) {
            path = "?";
        }
        return new Move(true, answered, path, printed.strip());
    }

    /** Once the ping that was not answered has given up: what the moved node knows of its relays, paths and network. */
    static String afterFailedMove(LabNode a, LabNode b) {
        StringBuilder sb = new StringBuilder();
        try {
            sb.append("TCP in ").append(a.name).append(":\n").append(Netns.sh("ip", "netns", "exec", a.ns, "ss", "-tn"));
            sb.append("addresses:\n").append(Netns.sh("ip", "-n", a.ns, "-4", "-br", "addr"));
            String gaveUp = a.shell.typeOnce("", "Error.*|.*Exception.*|pong from .*", 40);
            sb.append("the ping then: ").append(gaveUp.strip()).append('\n').append(a.shell.typeOnce("quiver:relay", ".*ws://.*", 10))
                    .append(a.shell.typeOnce("quiver:paths " + b.id, "\\*.*|no paths.*", 10)).append(a.shell.typeOnce("quiver:status", "connections:.*", 10));
        } catch (Exception | AssertionError e) {
            sb.append("(no more: ").append(e.getMessage()).append(")");
        }
        return sb.toString();
    }

    /** How long after its dialer moved a pair's connection may take to answer a ping. */
    static final int MOVE_ANSWER_SECONDS = 20;

    static String table(List<Row> rows, Map<Row, Move> moves) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-16s %-16s %-9s %-8s %10s %12s   %s%n",
                "DIALER", "DIALED (by id)", "CONNECTS", "ENDS", "CONNECT", "TO DIRECT", "SURVIVES THE DIALER'S MOVE"));
        for (Row r : rows) {
            Move mv = moves.get(r);
            String move = mv == null ? "-" : mv.survived() ? String.format(Locale.ROOT, "yes, %d ms, then %s", mv.answeredMs(), mv.path()) : "NO";
            sb.append(String.format(Locale.ROOT, "%-16s %-16s %-9s %-8s %10s %12s   %s%n", r.a().label, r.b().label, r.connected() ? "yes" : "NO",
                    r.direct() ? "direct" : r.connected() ? "relay" : "-", r.connectMs() < 0 ? "-" : r.connectMs() + " ms",
                    r.direct() ? r.directMs() + " ms" : "-", move));
        }
        return sb.toString();
    }
}
