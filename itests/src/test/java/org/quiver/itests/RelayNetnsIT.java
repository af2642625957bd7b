package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Two distribution nodes in network namespaces that cannot reach each other (the relay's namespace between
 * them does not forward), and the standalone relay (bin/quiver-relay) that both can reach:
 *
 * <pre>
 *   a 198.18.1.2 --- 198.18.1.1  relay  198.18.2.1 --- 198.18.2.2 b      (no forwarding in relay)
 * </pre>
 *
 * a sends b a 64 MiB file knowing only b's id; then the relay is killed and restarted and both reconnect by
 * themselves.
 */
public class RelayNetnsIT {
    private static final int MIB = 1024 * 1024;
    private static final String RELAY_URL = "ws://198.18.1.1:3340/relay";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static Path node(Path home, String bind) throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), "bindAddress = " + bind + "\nprobeIntervalMillis = 500\n");
        Files.writeString(home.resolve("conf/org.quiver.relay.client-main.cfg"), "url = " + RELAY_URL + "\n");
        return home;
    }

    /** Starts bin/quiver-relay in {@code ns} (no STUN); returns once it listens. */
    private static Process relay(String ns, ByteArrayOutputStream out) throws Exception {
        return relay(ns, "198.18.1.1", -1, out);
    }

    /**
     * Starts bin/quiver-relay in {@code ns} at {@code bind}:3340 (STUN at {@code stunPort}, -1 for none), its
     * output going to {@code out}; returns once it listens, or fails with what it printed.
     */
    static Process relay(String ns, String bind, int stunPort, ByteArrayOutputStream out) throws Exception {
        String host = java.net.InetAddress.getByName(bind).getHostAddress(); // as the relay prints it
        String url = "ws://" + (host.contains(":") ? "[" + host + "]" : host) + ":3340/relay";
        List<String> command = new ArrayList<>(Netns.in(ns));
        command.addAll(List.of(NodeBundles.dist().resolve("bin/quiver-relay").toString(), "--bind", bind, "--port", "3340",
                "--stun-port", Integer.toString(stunPort), "--rate", Long.toString(1L << 30)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread pump = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        out.write(buf, 0, n);
                    }
                }
            } catch (java.io.IOException ended) {
                // the relay stopped
            }
        });
        pump.setDaemon(true);
        pump.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            synchronized (out) {
                if (out.toString(StandardCharsets.UTF_8).contains("relay listening at " + url)) {
                    return p;
                }
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("the relay did not start: " + out.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void nodesWithoutADirectPathConnectByIdThroughTheRelayAndSurviveItsRestart() throws Exception {
        try (Netns net = new Netns()) {
            String nsRelay = net.add("relay");
            String nsA = net.add("a");
            String nsB = net.add("b");
            net.link(nsRelay, "198.18.1.1/24", nsA, "198.18.1.2/24");
            net.link(nsRelay, "198.18.2.1/24", nsB, "198.18.2.2/24");
            net.defaultRoute(nsA, "198.18.1.1");
            net.defaultRoute(nsB, "198.18.2.1");
            Netns.sh("ip", "netns", "exec", nsRelay, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0");

            Path a = node(tmp.newFolder("a").toPath(), "198.18.1.2");
            Path b = node(tmp.newFolder("b").toPath(), "198.18.2.2");
            Path file = tmp.getRoot().toPath().resolve("payload.bin");
            String sha = TransferIT.writeRandom(file, 64L * MIB);

            ByteArrayOutputStream relayOut = new ByteArrayOutputStream();
            Process relay = relay(nsRelay, relayOut);
            try (Node.Interactive nodeB = new Node.Interactive(Netns.in(nsB), "--home", b.toString())) {
                nodeB.typeUntil("quiver:status", "home relay: " + RELAY_URL, 30);
                String ticket = nodeB.answer("quiver:addr", "quiver[a-z2-7]{60,}", 10);
                String idB = org.quiver.api.EndpointAddr.fromTicket(ticket).id().toString();
                assertThat(org.quiver.api.EndpointAddr.fromTicket(ticket).relayUrl()).hasValueSatisfying(u -> assertThat(u).hasToString(RELAY_URL));

                String idA = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c", "quiver:id").out().lines().findFirst().orElseThrow().strip();
                nodeB.typeUntil("quiver:accept " + idA, "are taken", 10); // files are opt-in
                // by id alone: a knows nothing of b but its id, and both know the relay
                Node.Result send = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c",
                        "quiver:sendfile " + idB + " " + file + "; quiver:peers");
                assertThat(send.exitCode()).as(send.toString()).isZero();
                assertThat(send.out()).contains("sent payload.bin (" + 64L * MIB + " bytes)").contains("sha256=" + sha).contains("relay " + RELAY_URL);
                Path received = b.resolve("received/payload.bin");
                assertThat(TransferIT.sha(received)).isEqualTo(sha);

                // with b's ticket a also knows b's direct address: probed, never answered (no route), so the relay stays
                Node.Result ping = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c",
                        "quiver:ping " + ticket + " 3; quiver:paths " + ticket);
                assertThat(ping.exitCode()).as(ping.toString()).isZero();
                assertThat(ping.out()).contains("pong from").containsPattern("\\* relay +" + Pattern.quote(RELAY_URL))
                        .containsPattern("  direct +198\\.18\\.2\\.2:\\d+ +(unknown|validating|unusable|inactive)");

                // the relay dies and comes back: b reconnects by itself, and a reaches b by id again
                relay.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                nodeB.typeUntil("quiver:relay", "BACKOFF", 20);
                relay = relay(nsRelay, relayOut);
                nodeB.typeUntil("quiver:relay", "CONNECTED", 30);
                Node.Result again = Node.runIn(Netns.in(nsA), null, "--home", a.toString(), "-c", "quiver:send " + idB + " after the restart");
                assertThat(again.exitCode()).as(again.toString()).isZero();
                for (int i = 0; i < 100 && !nodeB.output().contains("after the restart"); i++) {
                    Thread.sleep(100);
                }
                assertThat(nodeB.output()).contains("after the restart");
            } finally {
                relay.destroyForcibly();
            }
        }
    }
}
