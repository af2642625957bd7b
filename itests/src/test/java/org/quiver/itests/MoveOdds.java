package org.quiver.itests;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.itests.NatLab.LabNode;
import org.quiver.itests.NatLab.Nat;

/**
 * How reliably a relayed connection survives its dialer moving, again and again: a measurement, not part of the suite
 * (its name does not end in IT). A symmetric node dials a symmetric one and a UDP-blocked one by id (both relayed),
 * then moves to another symmetric router {@code -Dmoves=N} times, a ping on one of the two connections after each move,
 * in turn (printed: answered and when, or what the node knew
 * when it was not). Run with
 * {@code cd itests && mvn -o verify -Dit.test=MoveOdds -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dmoves=8}.
 */
public class MoveOdds {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aRelayedConnectionThroughManyMoves() throws Exception {
        int moves = Integer.getInteger("moves", 8);
        try (NatLab lab = new NatLab(tmp.getRoot().toPath())) {
            LabNode[] nodes = relayedTrio(lab, "");
            LabNode a = nodes[0];
            LabNode b = nodes[1];
            LabNode c = nodes[2];
            int survived = 0;
            for (int i = 0; i < moves; i++) {
                lab.move(a, Nat.SYMMETRIC);
                // the other connection idles through every other move, as in the NAT matrix
                NatMatrixIT.Move m = NatMatrixIT.afterMove(a, i % 2 == 0 ? c : b, System.nanoTime());
                System.out.println("move " + (i + 1) + ": " + (m.survived() ? "answered after " + m.answeredMs() + " ms" : "NOT ANSWERED\n" + m.detail()));
                if (!m.survived()) {
                    break;
                }
                survived++;
            }
            System.out.println("move odds: " + survived + " of " + moves + " moves survived");
        }
    }

    /**
     * A new dial by id right after a move: a symmetric node's connections to a UDP-blocked and a symmetric node idle out
     * (an idle timeout of 3 s here, 30 s by default), then it moves and at once pings one of them by id, which dials
     * anew. {@code -Dmoves=N} times, in turn; printed as above. Run with
     * {@code cd itests && mvn -o verify -Dit.test=MoveOdds#aNewDialByIdRightAfterAMove -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dmoves=8}.
     */
    @Test
    public void aNewDialByIdRightAfterAMove() throws Exception {
        int moves = Integer.getInteger("moves", 8);
        try (NatLab lab = new NatLab(tmp.getRoot().toPath())) {
            LabNode[] nodes = relayedTrio(lab, "idleTimeoutSeconds = 3\n");
            LabNode a = nodes[0];
            LabNode b = nodes[1];
            LabNode c = nodes[2];
            int answered = 0;
            for (int i = 0; i < moves; i++) {
                LabNode peer = i % 2 == 0 ? b : c;
                Thread.sleep(5_000); // every connection idles out
                lab.move(a, Nat.SYMMETRIC);
                NatMatrixIT.Move m = NatMatrixIT.afterMove(a, peer, System.nanoTime());
                System.out.println("move " + (i + 1) + ", a new dial to " + peer.name + ": "
                        + (m.survived() ? "answered after " + m.answeredMs() + " ms" : "NOT ANSWERED\n" + m.detail()));
                if (!m.survived()) {
                    break;
                }
                answered++;
            }
            System.out.println("dial-after-move odds: " + answered + " of " + moves + " dials answered");
        }
    }

    /**
     * The lab of both measurements, running: the relay, a symmetric node (returned first), a UDP-blocked one and a
     * second symmetric one, each with {@code config}; the first has dialed the other two by id (printed).
     */
    private static LabNode[] relayedTrio(NatLab lab, String config) throws Exception {
        lab.startRelay();
        LabNode a = lab.node("sym1", Nat.SYMMETRIC, config);
        LabNode b = lab.node("blo2", Nat.UDP_BLOCKED, config);
        LabNode c = lab.node("sym2", Nat.SYMMETRIC, config);
        lab.startNodes();
        System.out.println(NatMatrixIT.pair(a, c).detail());
        System.out.println(NatMatrixIT.pair(a, b).detail());
        return new LabNode[] {a, b, c};
    }
}
