package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;

/** The built distribution driven through {@code bin/quiver}, as a user drives it. */
public class DistributionIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void quiverIdPrintsAnIdThatSurvivesARestart() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Node.Result first = Node.run(null, "--home", home.toString(), "-c", "quiver:id");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        assertThat(first.lines()).as(first.toString()).hasSize(1);
        EndpointId id = EndpointId.parse(first.lines().get(0));
        assertThat(first.err()).contains("Created a new identity " + id);

        Path key = home.resolve("identity.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        String keyText = Files.readString(key);

        Node.Result second = Node.run(null, "--home", home.toString(), "-c", "quiver:id");
        assertThat(second.exitCode()).as(second.toString()).isZero();
        assertThat(second.lines()).containsExactly(id.toString());
        assertThat(second.err()).doesNotContain("Created a new identity");
        assertThat(Files.readString(key)).isEqualTo(keyText);
    }

    @Test
    public void theDistributionCarriesEveryPlatformsNativesAndAttachesOnlyThisOnes() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Node.Result r = Node.run(null, "--home", home.toString(), "-c", "lb -s");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String platform = "linux-x86_64"; // the machines that run this build; the other four are carried, not run
        for (String p : new String[] {"linux-x86_64", "linux-aarch_64", "osx-x86_64", "osx-aarch_64", "windows-x86_64"}) {
            String line = r.lines().stream().filter(l -> l.contains("io.netty.codec-native-quic." + p)).findFirst().orElse("");
            assertThat(line).as("bundle/ carries the QUIC natives of " + p + "\n" + r).isNotEmpty();
            assertThat(line).as(line).contains(p.equals(platform) ? "Resolved" : "Installed");
        }
        // the Windows launcher starts the same class with the same class path as bin/quiver, in CRLF lines
        String bat = Files.readString(Node.bin().resolveSibling("quiver.bat"));
        assertThat(bat).contains("org.quiver.launcher.Main %*", "-cp \"%QUIVER_DIST%\\lib\\*\"", "-Dquiver.dist=%QUIVER_DIST%");
        assertThat(bat.split("\r\n")).as("CRLF lines").hasSizeGreaterThan(5);
        String relayBat = Files.readString(Node.bin().resolveSibling("quiver-relay.bat"));
        assertThat(relayBat).contains("org.quiver.relay.server.RelayMain %*", "quiver-relay-server-*.jar");
    }

    @Test
    public void nettysNativesComeFromTheDistributionNotUnpackedIntoATemporaryFolder() throws Exception {
        Path nativeDir = Node.bin().getParent().resolveSibling("lib").resolve("native").toRealPath();
        assertThat(nativeDir.resolve("libnetty_quiche42_linux_x86_64.so")).as("taken out of its jar at build time").isRegularFile();
        assertThat(nativeDir.resolve("libnetty_transport_native_epoll_x86_64.so")).isRegularFile();
        Path home = Node.onLoopback(tmp.newFolder("node").toPath());
        Path work = tmp.newFolder("netty-work").toPath(); // where netty unpacks a library it does not find on java.library.path
        String unpacking = "-Dio.netty.native.workdir=" + work;
        assertThat(loadedQuic(home, unpacking)).as("the QUIC library the node runs").startsWith(nativeDir.toString());
        // a java.library.path of the user's (JAVA_OPTS) wins: then netty unpacks it, as it does without lib/native
        assertThat(loadedQuic(home, unpacking + " -Djava.library.path=" + tmp.newFolder("no-natives"))).startsWith(work.toString());
    }

    @Test
    public void aNodeRunsWhereTheTemporaryFolderIsMountedNoexec() throws Exception {
        Path noexec = tmp.newFolder("noexec").toPath();
        assertThat(sh("mount", "-t", "tmpfs", "-o", "noexec,size=64m", "tmpfs", noexec.toString())).as("mount a noexec tmpfs (root)").isZero();
        try {
            Path home = Node.onLoopback(tmp.newFolder("node").toPath());
            String opts = "-Djava.io.tmpdir=" + noexec;
            String[] idArgs = {"--home", home.toString(), "-c", "quiver:id; quiver:addr"};
            Node.Result ran = Node.runWith(Map.of("JAVA_OPTS", opts), idArgs);
            assertThat(ran.exitCode()).as(ran.toString()).isZero();
            assertThat(ran.lines()).as("quiver:addr: the endpoint's ticket").anyMatch(l -> l.matches("quiver[a-z2-7]{60,}"));
            // the same with netty unpacking its libraries into that folder, as before lib/native: the endpoint cannot load them
            Node.Result unpacked = Node.runWith(Map.of("JAVA_OPTS", opts, "QUIVER_NATIVE", "off"), idArgs);
            assertThat(unpacked.exitCode()).as(unpacked.toString()).isNotZero();
            assertThat(unpacked.lines()).noneMatch(l -> l.matches("quiver[a-z2-7]{60,}"));
        } finally {
            sh("umount", noexec.toString());
        }
    }

    private static int sh(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /** Where the QUIC native library of a node started with {@code javaOpts} was loaded from (its memory map). */
    private static String loadedQuic(Path home, String javaOpts) throws Exception {
        String[] args = {Node.bin().toString(), "--home", home.toString(), "--no-shell"};
        Node.metricsOnAnyPort(args);
        ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(home.resolve("node.log").toFile());
        pb.environment().remove("QUIVER_HOME");
        pb.environment().put("JAVA_OPTS", javaOpts);
        Process p = pb.start(); // bin/quiver execs the JVM: the same process
        try {
            Path maps = Path.of("/proc", Long.toString(p.pid()), "maps");
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && p.isAlive()) {
                java.util.Optional<String> lib = Files.readAllLines(maps).stream().map(l -> l.replaceFirst("^(\\S+\\s+){5}", ""))
                        .filter(l -> l.contains("libnetty_quiche42")).findFirst();
                if (lib.isPresent()) {
                    return lib.get().strip();
                }
                Thread.sleep(100);
            }
            throw new AssertionError("no QUIC library loaded within 30 s: " + Files.readString(home.resolve("node.log")));
        } finally {
            p.destroy(); // SIGTERM: the node stops
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    public void aNormalExitPrintsNoWarning() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Node.run(null, "--home", home.toString(), "-c", "quiver:id"); // makes the key (an INFO line)
        // EventAdmin stopped last was interrupted mid-delivery at 2 exits in 5 ("Event Task Processing Interrupted")
        for (int i = 0; i < 6; i++) {
            Node.Result r = Node.run(null, "--home", home.toString(), "-c", "quiver:id; quiver:status");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.err()).as("exit " + i + ": " + r).doesNotContain("WARNING").doesNotContain("ERROR");
        }
    }

    @Test
    public void severalCommandsPrintEachResult() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Node.Result r = Node.run(null, "--home", home.toString(), "-c", "quiver:id; quiver:addr");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.lines()).as(r.toString()).hasSize(2);
        EndpointId id = EndpointId.parse(r.lines().get(0));
        EndpointAddr addr = EndpointAddr.fromTicket(r.lines().get(1));
        assertThat(addr.id()).isEqualTo(id);
        assertThat(addr.directAddresses()).as("the endpoint's socket addresses").isNotEmpty();
    }

    @Test
    public void twoNodesSideBySideHaveTheirOwnIdentities() throws Exception {
        Node.Result a = Node.run(null, "--home", tmp.newFolder("a").toString(), "-c", "quiver:id");
        Node.Result b = Node.run(null, "--home", tmp.newFolder("b").toString(), "-c", "quiver:id");
        assertThat(a.exitCode()).isZero();
        assertThat(b.exitCode()).isZero();
        assertThat(a.out()).isNotEqualTo(b.out());
    }

    @Test
    public void aFailingCommandExitsNonZeroWithItsMessage() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Node.Result r = Node.run(null, "--home", home.toString(), "-c", "quiver:nosuchcommand");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("Command not found: quiver:nosuchcommand");

        Node.Result stops = Node.run(null, "--home", home.toString(), "-c", "quiver:nosuch; quiver:id");
        assertThat(stops.exitCode()).isEqualTo(1);
        assertThat(stops.out()).as("commands after a failure do not run").isEmpty();
    }

    @Test
    public void aCorruptKeyFileIsNamedAndLeftAlone() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Path key = home.resolve("identity.key");
        Files.writeString(key, "not a key\n");
        Node.Result r = Node.run(null, "--home", home.toString(), "-c", "quiver:id");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("Cannot use identity key file " + key).contains("has no identity");
        assertThat(r.out()).isEmpty();
        assertThat(Files.readString(key)).isEqualTo("not a key\n");
    }

    @Test
    public void usageErrorsAndHelp() throws Exception {
        Node.Result bad = Node.run(null, "--frobnicate");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown argument '--frobnicate'").contains("Usage: quiver");
        Node.Result help = Node.run(null, "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--home DIR").contains("-c COMMANDS");
    }

    @Test
    public void theInteractiveShellRunsTypedCommandsAndEndsAtEndOfInput() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        String id = Node.run(null, "--home", home.toString(), "-c", "quiver:id").lines().get(0);
        // no terminal here: JLine falls back to a dumb terminal that reads lines from stdin
        Node.Result r = Node.run("id\nquiver:addr\n", "--home", home.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("Quiver node " + id).contains(id).contains("Ticket: quiver");
        String ticket = r.out().lines().map(String::strip).map(l -> l.replaceFirst("^.*?(quiver[a-z2-7]{40,})$", "$1"))
                .filter(l -> l.matches("quiver[a-z2-7]{40,}")).findFirst().orElseThrow(() -> new AssertionError(r.toString()));
        assertThat(EndpointAddr.fromTicket(ticket).id()).isEqualTo(EndpointId.parse(id));
    }

    @Test
    public void aConfigFileInConfReachesTheIdentityComponent() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Path other = tmp.getRoot().toPath().resolve("elsewhere/my.key");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.quiver.identity.cfg"), "keyFile = " + other + "\n");
        Node.Result r = Node.run(null, "--home", home.toString(), "-c", "quiver:id");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(other).exists();
        assertThat(home.resolve("identity.key")).doesNotExist();
        assertThat(r.lines().get(r.lines().size() - 1)).isEqualTo(org.quiver.identity.Identities.loadOrCreate(other).id().toString());
    }

    @Test
    public void aRunningNodeHotInstallsFromDeployAndAppliesConfigFilesLive() throws Exception {
        Path home = tmp.newFolder("node").toPath();
        Path deployed = home.resolve("deploy/hotdeploy.jar");
        Path jar = tmp.getRoot().toPath().resolve("hotdeploy.jar");
        java.util.jar.Manifest manifest = new java.util.jar.Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        manifest.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        manifest.getMainAttributes().putValue("Bundle-SymbolicName", "org.quiver.itests.hotdeploy");
        manifest.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
        try (Node.Interactive node = new Node.Interactive("--home", home.toString())) {
            EndpointId before = EndpointId.parse(node.answer("quiver:id", "[a-z2-7]{52}", 20));

            Files.copy(jar, deployed);
            node.typeUntil("lb -s", "org.quiver.itests.hotdeploy", 20);
            Files.delete(deployed);
            String after = node.typeUntil("lb -s", "org.quiver.shell", 20);
            for (int i = 0; i < 30 && after.contains("org.quiver.itests.hotdeploy"); i++) {
                after = node.typeUntil("lb -s", "org.quiver.shell", 20);
            }
            assertThat(after).as("uninstalled when removed from deploy/").doesNotContain("org.quiver.itests.hotdeploy");

            Path other = tmp.getRoot().toPath().resolve("live/other.key");
            Files.writeString(home.resolve("conf/org.quiver.identity.cfg"), "keyFile = " + other + "\n");
            EndpointId moved = org.quiver.identity.Identities.loadOrCreate(other).id();
            node.typeUntil("quiver:id", moved.toString(), 20);
            assertThat(moved).isNotEqualTo(before);
            assertThat(node.exit()).as(node.errors()).isZero();
        }
    }

    /**
     * bin/quiver -c on the folder of a node that is running: the commands run in that node (its identity, its
     * ports, its connections), relative file names are the caller's, and a second node never starts beside the first
     * (it would have wiped the running node's bundle cache and failed on its ports).
     */
    @Test
    public void commandsRunInTheNodeAlreadyRunningOnTheFolder() throws Exception {
        Path a = tmp.newFolder("a").toPath();
        Path b = tmp.newFolder("b").toPath();
        for (Path home : new Path[] {a, b}) {
            Node.onLoopback(home);
        }
        String idA = Node.run(null, "--home", a.toString(), "-c", "quiver:id").lines().get(0);
        Files.writeString(b.resolve("conf/org.quiver.files.cfg"), "accept = " + idA + "\n");
        try (Node.Interactive nodeA = new Node.Interactive("--home", a.toString());
                Node.Interactive nodeB = new Node.Interactive("--home", b.toString())) {
            EndpointAddr addrA = EndpointAddr.fromTicket(nodeA.answer("quiver:addr", "quiver[a-z2-7]{60,}", 30));
            String ticketB = nodeB.answer("quiver:addr", "quiver[a-z2-7]{60,}", 30);

            Node.Result r = Node.run(null, "--home", a.toString(), "--timing", "-c", "quiver:id; quiver:addr");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.lines()).as(r.toString()).hasSize(2);
            assertThat(r.lines().get(0)).isEqualTo(idA);
            EndpointAddr seen = EndpointAddr.fromTicket(r.lines().get(1));
            assertThat(seen.id()).isEqualTo(addrA.id());
            assertThat(seen.directAddresses()).as("node a's own socket, not a second node's").isEqualTo(addrA.directAddresses());
            assertThat(r.err()).contains("ran in the node already running on " + a);

            Path work = tmp.newFolder("work").toPath();
            byte[] bytes = new byte[3 << 20];
            new java.util.Random(7).nextBytes(bytes);
            Files.write(work.resolve("report.bin"), bytes);
            Node.Result sent = Node.runFrom(work, "--home", a.toString(), "-c", "quiver:sendfile " + ticketB + " report.bin");
            assertThat(sent.exitCode()).as(sent.toString()).isZero();
            assertThat(sent.out()).contains("sent report.bin (" + bytes.length + " bytes)");
            assertThat(Files.readAllBytes(b.resolve("received/report.bin"))).isEqualTo(bytes);

            Node.Result failed = Node.run(null, "--home", a.toString(), "-c", "quiver:nosuchcommand; quiver:id");
            assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(1);
            assertThat(failed.err()).contains("Command not found: quiver:nosuchcommand");
            assertThat(failed.out()).isEmpty();

            Node.Result second = Node.run("quiver:id\n", "--home", a.toString());
            assertThat(second.exitCode()).as(second.toString()).isEqualTo(3);
            assertThat(second.err()).contains("another node is running on " + a);
            assertThat(second.out()).doesNotContain(idA);

            assertThat(EndpointAddr.fromTicket(nodeA.answer("quiver:addr", "quiver[a-z2-7]{60,}", 10)).directAddresses())
                    .as("node a is unharmed").isEqualTo(addrA.directAddresses());
            assertThat(a.resolve("control.sock")).exists();
            assertThat(nodeA.exit()).as(nodeA.errors()).isZero();
            assertThat(a.resolve("control.sock")).as("removed when the node stops").doesNotExist();
            Node.Result after = Node.run(null, "--home", a.toString(), "-c", "quiver:id");
            assertThat(after.exitCode()).as(after.toString()).isZero();
            assertThat(after.err()).doesNotContain("already running");
        }
    }

    /** {@code --no-shell}: a node for the background, its input closed, driven by {@code -c}, stopped by SIGTERM. */
    @Test
    public void aNodeWithoutItsShellRunsUntilStoppedAndTakesCommands() throws Exception {
        Path home = tmp.newFolder("headless").toPath();
        Node.onLoopback(home);
        Node.metricsOnAnyPort("--home", home.toString());
        ProcessBuilder pb = new ProcessBuilder(Node.bin().toString(), "--home", home.toString(), "--no-shell");
        pb.environment().remove("QUIVER_HOME");
        pb.redirectErrorStream(true).redirectOutput(home.resolve("node.log").toFile());
        Process node = pb.start();
        try {
            node.getOutputStream().close(); // no input at all: a shell would end here
            Path socket = home.resolve("control.sock");
            for (int i = 0; i < 300 && !Files.exists(socket) && node.isAlive(); i++) {
                Thread.sleep(100);
            }
            assertThat(socket).as(Files.readString(home.resolve("node.log"))).exists();
            Node.Result r = Node.run(null, "--home", home.toString(), "-c", "quiver:id; quiver:status");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.lines().get(0)).matches("[a-z2-7]{52}");
            assertThat(node.isAlive()).isTrue();
            node.destroy(); // SIGTERM
            assertThat(node.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(socket).as("removed by the node on its way out").doesNotExist();
            assertThat(Files.readString(home.resolve("node.log"))).doesNotContain("Exception");
        } finally {
            node.destroyForcibly();
        }
    }
}
