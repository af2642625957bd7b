package org.quiver.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A real Apache Karaf (its tar.gz from Maven Central, unpacked by the build), as a user would run it: start it, add
 * Quiver's feature repository, install the feature, check the node is alive (bound, its key in Karaf's data folder),
 * and ping it from a Felix node of the distribution. Everything listens on loopback only; Karaf is stopped (and
 * killed if it lingers) also when the test fails.
 *
 * <p>The feature file the build made is used with its Quiver bundles pointing at this build's jars (file: URLs), so
 * that what is tested is this build, never an older snapshot in the local Maven repository; third-party bundles come
 * from the local repository (offline).
 */
public class KarafIT {
    private static final String VERSION = System.getProperty("quiver.version", "0.1.0-SNAPSHOT");
    private static final Path ROOT = Path.of(System.getProperty("quiver.root", ".."));

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void replace(Path file, String regex, String with) throws IOException {
        Files.writeString(file, Files.readString(file).replaceAll(regex, Matcher.quoteReplacement(with)));
    }

    /** Runs {@code bin/client "commands; echo __DONE__"}: its output until the marker (stdin stays open: KARAF's client closes at EOF). */
    private static String client(Path karaf, int ssh, String commands, int seconds) throws Exception {
        Process p = new ProcessBuilder(karaf.resolve("bin/client").toString(), "-a", Integer.toString(ssh), "-u", "karaf", "-p", "karaf",
                "-r", Integer.toString(seconds), "-d", "1", commands + "; echo __DONE__").redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the process went
            }
        });
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try {
            while (System.nanoTime() < deadline && p.isAlive()) {
                synchronized (out) {
                    if (out.toString(StandardCharsets.UTF_8).contains("__DONE__")) {
                        break;
                    }
                }
                Thread.sleep(50);
            }
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5000);
        }
        return out.toString(StandardCharsets.UTF_8).replaceAll("\u001b\\[[0-9;]*m", ""); // no colours
    }

    @Test
    public void theFeatureInstallsALiveNodeThatAFelixNodePings() throws Exception {
        Path unpacked = Path.of(System.getProperty("karaf.dist"));
        assertThat(unpacked.resolve("bin/karaf")).as("Karaf unpacked by the build").exists();
        Path karaf = tmp.newFolder("karaf").toPath();
        Process copy = new ProcessBuilder("cp", "-a", unpacked + "/.", karaf.toString()).inheritIO().start();
        assertThat(copy.waitFor()).isZero();

        // as an operator would: a user for the client, loopback ports, the Maven repository offline, the node on loopback
        int ssh = freePort();
        replace(karaf.resolve("etc/users.properties"), "(?m)^#karaf = ", "karaf = ");
        replace(karaf.resolve("etc/users.properties"), "(?m)^#_g_", "_g_");
        replace(karaf.resolve("etc/org.apache.karaf.shell.cfg"), "(?m)^sshPort = .*$", "sshPort = " + ssh);
        replace(karaf.resolve("etc/org.apache.karaf.shell.cfg"), "(?m)^sshHost = .*$", "sshHost = 127.0.0.1");
        replace(karaf.resolve("etc/org.apache.karaf.management.cfg"), "(?m)^rmiRegistryPort = .*$", "rmiRegistryPort = " + freePort());
        replace(karaf.resolve("etc/org.apache.karaf.management.cfg"), "(?m)^rmiServerPort = .*$", "rmiServerPort = " + freePort());
        String repo = System.getProperty("maven.repo", System.getProperty("user.home") + "/.m2/repository");
        Path mvn = karaf.resolve("etc/org.ops4j.pax.url.mvn.cfg");
        // Karaf's own system/ folder stays a default repository; the remote ones go (offline), the local one is ours
        replace(mvn, "(?m)^org\\.ops4j\\.pax\\.url\\.mvn\\.repositories=\\s*\\\\\\R(?:.*\\\\\\R)*.*$", "org.ops4j.pax.url.mvn.repositories=");
        Files.writeString(mvn, Files.readString(mvn) + "\norg.ops4j.pax.url.mvn.localRepository=" + repo + "\norg.ops4j.pax.url.mvn.offline=true\n");
        Files.writeString(karaf.resolve("etc/org.quiver.endpoint.cfg"), "bindAddress = 127.0.0.1\n");
        Files.writeString(karaf.resolve("etc/org.quiver.metrics.cfg"), "bindAddress = 127.0.0.1\nport = 0\n");

        // this build's feature file, its Quiver bundles as this build's jars
        Path features = tmp.getRoot().toPath().resolve("features.xml");
        String xml = Files.readString(ROOT.resolve("features/target/feature/feature.xml"));
        Matcher m = Pattern.compile("mvn:org\\.quiver/quiver-([a-z-]+)/" + Pattern.quote(VERSION)).matcher(xml);
        StringBuilder rewritten = new StringBuilder();
        while (m.find()) {
            Path jar = ROOT.resolve("bundles/" + m.group(1) + "/target/quiver-" + m.group(1) + "-" + VERSION + ".jar").toAbsolutePath().normalize();
            assertThat(jar).as("built by this build").exists();
            m.appendReplacement(rewritten, Matcher.quoteReplacement("file:" + jar));
        }
        m.appendTail(rewritten);
        Files.writeString(features, rewritten.toString());

        Path karafOut = tmp.newFile("karaf.out").toPath();
        Process karafProcess = new ProcessBuilder(karaf.resolve("bin/karaf").toString(), "server")
                .redirectOutput(karafOut.toFile()).redirectErrorStream(true).start();
        try {
            String installed = client(karaf, ssh, "feature:repo-add file:" + features + "; feature:install quiver", 180);
            assertThat(installed).as(installed + "\n--- karaf's output\n" + Files.readString(karafOut)).contains("__DONE__").doesNotContain("Error");

            String status = "";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!status.contains("bound: [/127.0.0.1:") && System.nanoTime() < deadline) {
                status = client(karaf, ssh, "echo (quiver:status)", 30);
                Thread.sleep(500);
            }
            System.out.println("karaf@root()> quiver:status\n" + status);
            assertThat(status).as("the endpoint is alive in Karaf (its natives were installed)").contains("bound: [/127.0.0.1:");
            String scr = client(karaf, ssh, "scr:list | grep -i quiver", 30);
            assertThat(scr).contains("org.quiver.endpoint").doesNotContain("FAILED");
            assertThat(karaf.resolve("data/quiver/identity.key")).as("the key lives in Karaf's data folder").exists();
            // the feature carries the natives of five platforms; only this one's are installed (its conditionals)
            String natives = client(karaf, ssh, "bundle:list -s -t 0 | grep -i native", 30);
            System.out.println("karaf@root()> bundle:list -s -t 0 | grep -i native\n" + natives);
            assertThat(natives).contains("io.netty.codec-native-quic.linux-x86_64", "io.netty.transport-native-epoll.linux-x86_64")
                    .doesNotContain("aarch_64", "osx", "windows");

            String addr = client(karaf, ssh, "echo (quiver:addr)", 30);
            Matcher t = Pattern.compile("(quiver[a-z2-7]{60,})").matcher(addr);
            assertThat(t.find()).as(addr).isTrue();
            Path felix = tmp.newFolder("felix").toPath();
            Node.onLoopback(felix);
            Node.Result ping = Node.run(null, "--home", felix.toString(), "-c", "quiver:ping " + t.group(1) + " 2");
            System.out.println("felix$ quiver:ping <karaf's ticket> 2\n" + ping.out());
            assertThat(ping.exitCode()).as(ping.toString()).isZero();
            assertThat(ping.out()).as(ping.toString()).contains("pong from");
        } finally {
            new ProcessBuilder(karaf.resolve("bin/stop").toString()).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
            if (!karafProcess.waitFor(30, TimeUnit.SECONDS)) {
                karafProcess.descendants().forEach(ProcessHandle::destroyForcibly);
                karafProcess.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<ProcessHandle> left = ProcessHandle.allProcesses()) {
                List<ProcessHandle> strays = left.filter(h -> h.info().commandLine().map(c -> c.contains(karaf.toString())).orElse(false)).toList();
                strays.forEach(ProcessHandle::destroyForcibly);
            }
        }
    }
}
