package org.quiver.discovery.mdns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;

/**
 * Real multicast DNS between JmDNS responders, and an independent browser (avahi), inside the network
 * namespaces the test JVM runs in (src/test/netns/bin/java): 198.18.9.1 here, 198.18.9.2 in the peer namespace.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MdnsDiscoveryTest {
    private static final InetAddress HERE = address("198.18.9.1");
    private static MdnsDiscovery alice;
    private static MdnsDiscovery bob;
    private static LocalIdentity aliceId;

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        alice = new MdnsDiscovery(HERE, Duration.ofSeconds(3), Duration.ofHours(24));
        bob = new MdnsDiscovery(HERE, Duration.ofSeconds(3), Duration.ofHours(24));
        aliceId = Identities.ephemeral();
        alice.publishNow(EndpointRecord.sign(addr(aliceId), Instant.now(), aliceId::sign));
    }

    @AfterAll
    static void stop() {
        alice.close();
        bob.close();
        alice.close(); // idempotent
    }

    private static EndpointAddr addr(LocalIdentity who) {
        return EndpointAddr.of(who.id(), URI.create("ws://198.18.9.1:3340/relay"), List.of(new InetSocketAddress(HERE, 4433)));
    }

    private static final class Result implements DiscoveryListener {
        final List<DiscoveryItem> found = new ArrayList<>();
        final CompletableFuture<String> end = new CompletableFuture<>();

        @Override
        public synchronized void found(DiscoveryItem item) {
            found.add(item);
        }

        @Override
        public void completed() {
            end.complete("completed");
        }

        @Override
        public void failed(Throwable cause) {
            end.complete("failed: " + cause.getMessage());
        }
    }

    private static Result resolve(MdnsDiscovery d, EndpointId id) throws Exception {
        Result r = new Result();
        d.resolve(id, r);
        r.end.get(20, TimeUnit.SECONDS);
        return r;
    }

    @Test
    void aPeerOnTheLinkIsFoundById() throws Exception {
        assertThat(alice.lastPublish()).startsWith("announced " + aliceId.id());
        long t0 = System.nanoTime();
        Result r = resolve(bob, aliceId.id());
        System.out.println("mdns lookup on the link: " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        assertThat(r.end.get()).isEqualTo("completed");
        assertThat(r.found).singleElement().satisfies(i -> {
            assertThat(i.addr()).isEqualTo(addr(aliceId));
            assertThat(i.provider()).isEqualTo("mdns");
        });
        Result none = resolve(bob, Identities.ephemeral().id());
        assertThat(none.found).isEmpty();
        assertThat(none.end.get()).isEqualTo("completed");
        assertThat(bob.toString()).contains("not published yet");
    }

    @Test
    void aForgedAnnouncementIsRefused() throws Exception {
        LocalIdentity victim = Identities.ephemeral();
        LocalIdentity mallory = Identities.ephemeral();
        JmDNS liar = JmDNS.create(HERE, "liar");
        try {
            // mallory announces, under the victim's id, a record that is mallory's own
            EndpointRecord mine = EndpointRecord.sign(addr(mallory), Instant.now(), mallory::sign);
            liar.registerService(ServiceInfo.create(MdnsDiscovery.TYPE, victim.id().toString(), 4433, 0, 0, MdnsDiscovery.properties(mine)));
            Result r = resolve(bob, victim.id());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (r.end.get().equals("completed") && System.nanoTime() < deadline) {
                Thread.sleep(200); // the liar's announcement (and its TXT record) may not be on the link yet
                r = resolve(bob, victim.id());
            }
            assertThat(r.found).isEmpty();
            assertThat(r.end.get()).startsWith("failed").contains("refused").contains("is about " + mallory.id().shortString());
        } finally {
            liar.close();
        }
    }

    @Test
    void recordsSplitAndJoinThroughTxtProperties() {
        EndpointRecord rec = EndpointRecord.sign(addr(aliceId), Instant.now(), aliceId::sign);
        var props = MdnsDiscovery.properties(rec);
        assertThat(props).containsEntry("v", "1").containsKey("r0");
        assertThat(props.values()).allMatch(v -> v.length() <= 200);
        assertThat(String.join("", props.entrySet().stream().filter(e -> e.getKey().startsWith("r")).map(java.util.Map.Entry::getValue).toList()))
                .isEqualTo(rec.encode());
        assertThat(MdnsDiscovery.recordText(null)).isNull();
    }

    /** avahi (D-Bus + avahi-daemon + avahi-browse) in the peer namespace: an independent mDNS implementation sees the announcement. */
    @Test
    void anIndependentBrowserSeesTheAnnouncement(@TempDir Path dir) throws Exception {
        String peerNs = System.getenv("QUIVER_MDNS_PEER_NS");
        assertThat(peerNs).as("the test JVM runs in its namespace (src/test/netns/bin/java)").isNotBlank();
        Path bus = dir.resolve("bus");
        Files.writeString(dir.resolve("bus.conf"), "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\""
                + " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>system</type><listen>unix:path=" + bus
                + "</listen><auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>"
                + "<allow send_type=\"method_call\"/><allow send_type=\"signal\"/><allow send_destination=\"*\"/><allow receive_sender=\"*\"/>"
                + "</policy></busconfig>\n");
        Files.writeString(dir.resolve("avahi.conf"), "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=qvm1\nenable-dbus=yes\n"
                + "[wide-area]\nenable-wide-area=no\n[publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n");
        List<Process> started = new ArrayList<>();
        try {
            started.add(new ProcessBuilder("ip", "netns", "exec", peerNs, "dbus-daemon", "--config-file=" + dir.resolve("bus.conf"),
                    "--nofork", "--nopidfile").redirectErrorStream(true).redirectOutput(dir.resolve("dbus.log").toFile()).start());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(bus) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Files.deleteIfExists(Path.of("/run/avahi-daemon/pid")); // a stale one from a killed run
            ProcessBuilder avahi = new ProcessBuilder("ip", "netns", "exec", peerNs, "avahi-daemon", "--no-drop-root", "--no-chroot",
                    "--no-rlimits", "-f", dir.resolve("avahi.conf").toString()).redirectErrorStream(true).redirectOutput(dir.resolve("avahi.log").toFile());
            avahi.environment().put("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + bus);
            started.add(avahi.start());
            String seen = "";
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!seen.contains(aliceId.id().toString()) && System.nanoTime() < deadline) {
                Thread.sleep(500);
                ProcessBuilder browse = new ProcessBuilder("ip", "netns", "exec", peerNs, "avahi-browse", "-rpt", "_quiver._udp")
                        .redirectErrorStream(true);
                browse.environment().put("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + bus);
                Process p = browse.start();
                seen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(seen).as(Files.readString(dir.resolve("avahi.log"))).contains(aliceId.id().toString()).contains("_quiver._udp")
                    .contains("198.18.9.1").contains("\"v=1\"").contains("\"r0=v1 quiver");
        } finally {
            for (Process p : started) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(Path.of("/run/avahi-daemon/pid"));
        }
    }
}
