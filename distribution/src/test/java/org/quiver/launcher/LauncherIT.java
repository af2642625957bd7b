package org.quiver.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher in this JVM, against the assembled node in target/quiver (so after 'package'). The same
 * paths as bin/quiver takes, end to end with Felix, measured by JaCoCo; bin/quiver itself is driven as a
 * separate process by the system tests in itests/.
 */
class LauncherIT {
    @TempDir
    Path home;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        return Main.run(args, new ByteArrayInputStream(new byte[0]), o, e);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runsCommandsAndPrintsEachResult() {
        int status = run("--home", home.toString(), "--timing", "-c", "quiver:id; quiver:addr", "-c", "x = 1");
        assertThat(status).as(err()).isZero();
        assertThat(out().lines()).hasSize(3);
        assertThat(out().lines().findFirst().orElseThrow()).matches("[a-z2-7]{52}");
        assertThat(out().lines().skip(1).findFirst().orElseThrow()).startsWith("quiver");
        assertThat(err()).contains("framework started in").contains("shell ready in")
                .contains("bundles installed at").contains("node started (start level 2) at").contains("framework stopped at");
        assertThat(home.resolve("identity.key")).exists();
        assertThat(home.resolve("conf")).isDirectory();
        assertThat(home.resolve("deploy")).isDirectory();
    }

    @Test
    void aOneShotProcessBuildsItsEndpointOnlyForACommandThatUsesIt() throws Exception {
        try (java.net.DatagramSocket taken = new java.net.DatagramSocket(new java.net.InetSocketAddress("127.0.0.1", 0))) {
            Files.createDirectories(home.resolve("conf"));
            Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), "bindAddress=127.0.0.1\nport=" + taken.getLocalPort() + "\n");
            ByteArrayOutputStream jvmErr = new ByteArrayOutputStream(); // where a failed build says so (the bundles' System.err)
            PrintStream before = System.err;
            System.setErr(new PrintStream(jvmErr, true, StandardCharsets.UTF_8));
            try {
                assertThat(run("--home", home.toString(), "-c", "quiver:id")).as(err()).isZero();
            } finally {
                System.setErr(before);
            }
            assertThat(out().strip()).matches("[a-z2-7]{52}");
            assertThat(err() + jvmErr.toString(StandardCharsets.UTF_8))
                    .as("quiver:id needs no endpoint: none was built, so the taken port was never tried").doesNotContain("did not start");
            out.reset();
            assertThat(run("--home", home.toString(), "-c", "quiver:id; quiver:status")).isEqualTo(Main.EXIT_COMMAND_FAILED);
            assertThat(err()).as("quiver:status builds it: the taken port is the error").contains("The endpoint did not start")
                    .contains("127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void aFailedCommandIsStatusOneWithItsMessage() {
        assertThat(run("--home", home.toString(), "-c", "quiver:frobnicate")).isEqualTo(Main.EXIT_COMMAND_FAILED);
        assertThat(err()).contains("Error in 'quiver:frobnicate'").contains("Command not found");
        assertThat(out()).isEmpty();
    }

    @Test
    void aBrokenDistributionIsAStartupFailure() throws Exception {
        String dist = System.getProperty("quiver.dist");
        Path empty = Files.createDirectories(home.resolve("dist"));
        System.setProperty("quiver.dist", empty.toString());
        try {
            assertThat(run("--home", home.toString(), "-c", "quiver:id")).isEqualTo(Main.EXIT_STARTUP_FAILED);
            assertThat(err()).contains("the node did not start").contains("config.properties");
        } finally {
            System.setProperty("quiver.dist", dist);
        }
    }

    @Test
    void helpPrintsUsage() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("Usage: quiver");
    }

    @Test
    void configurationFromTheDistributionWithTheNodeFolders() throws Exception {
        var config = Main.frameworkConfig(Path.of(System.getProperty("quiver.dist")), home);
        assertThat(config.get("felix.fileinstall.dir")).isEqualTo(home.resolve("conf") + "," + Path.of(System.getProperty("quiver.dist")).resolve("etc/watchers"));
        assertThat(config.get("org.osgi.framework.storage")).isEqualTo(home.resolve("cache").toString());
        assertThat(config.get("quiver.home")).isEqualTo(home.toString());
        assertThat(Main.isPlatform("org.apache.felix.scr")).isTrue();
        assertThat(Main.isPlatform("org.quiver.identity")).isFalse();
    }

    @Test
    void theIdentityThenTheRelaysThenTheTransportStartBeforeQuiversOtherBundles() throws Exception {
        // the endpoint is built beside the bundles that start after the transport: only those that do not use netty
        java.util.List<String> quiver;
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of(System.getProperty("quiver.dist")).resolve("bundle"))) {
            quiver = files.sorted(Main.INSTALL_ORDER).map(p -> p.getFileName().toString()).filter(n -> n.startsWith("quiver-"))
                    .map(n -> n.replaceAll("-[0-9].*", "")).toList();
        }
        assertThat(quiver.subList(0, 4)).containsExactly("quiver-identity", "quiver-relay-client", "quiver-relay-server", "quiver-transport-quic");
        assertThat(quiver.subList(4, quiver.size())).as("the rest, by name").isSorted().contains("quiver-api", "quiver-metrics", "quiver-shell")
                .doesNotContain("quiver-identity", "quiver-relay-client", "quiver-relay-server", "quiver-transport-quic");
    }

    /** A node of this JVM on {@link #home}, as bin/quiver runs one: the folder's lock held, its control socket open. */
    private final class RunningNode implements AutoCloseable {
        final NodeLock lock;
        final org.osgi.framework.launch.Framework framework;
        final ControlServer control;

        RunningNode() throws Exception {
            lock = NodeLock.tryTake(home);
            assertThat(lock).isNotNull();
            // with a command in its options start() leaves out the terminal shell, which would read this JVM's stdin
            Options options = Options.parse(new String[] {"--home", home.toString(), "-c", "unused"}, java.util.Map.of());
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
            framework = Main.start(options, e, Phases.of(false, e, System.nanoTime()));
            org.osgi.framework.BundleContext context = framework.getBundleContext();
            control = ControlServer.start(home, (commands, cwd, in, o, er) -> Main.runCommands(context, commands, cwd, in, o, er, -1),
                    10, java.util.concurrent.TimeUnit.SECONDS, e);
        }

        @Override
        public void close() {
            control.close();
            Main.stop(framework);
            lock.close();
        }
    }

    @Test
    void commandsRunInTheNodeThatHoldsTheFolder() throws Exception {
        String id;
        try (RunningNode node = new RunningNode()) {
            assertThat(run("--home", home.toString(), "-c", "quiver:id")).as(err()).isZero();
            id = out().strip();
            assertThat(id).matches("[a-z2-7]{52}");
            out.reset();
            assertThat(run("--home", home.toString(), "--timing", "-c", "quiver:id; quiver:nosuchcommand")).isEqualTo(Main.EXIT_COMMAND_FAILED);
            assertThat(out().strip()).isEqualTo(id);
            assertThat(err()).contains("Error in 'quiver:nosuchcommand'").contains("ran in the node already running on " + home)
                    .doesNotContain("framework started in");
            assertThat(node.control.served()).isEqualTo(2);
        }
        assertThat(home.resolve(ControlServer.FILE)).doesNotExist();
        out.reset();
        assertThat(run("--home", home.toString(), "-c", "quiver:id")).as("its own node, once the other stopped").isZero();
        assertThat(out().strip()).isEqualTo(id);
    }

    @Test
    void aFolderHeldByANodeThatDoesNotAnswerIsNamedAndNoSecondNodeStarts() throws Exception {
        long attach = Main.attachWaitMs;
        long lockWait = Main.lockWaitMs;
        Main.attachWaitMs = 2_500;
        Main.lockWaitMs = 2_500;
        try (NodeLock held = NodeLock.tryTake(home)) {
            assertThat(held).isNotNull();
            assertThat(run("--home", home.toString(), "-c", "quiver:id")).isEqualTo(Main.EXIT_STARTUP_FAILED);
            assertThat(err()).contains("a node is running on " + home + " but does not answer on " + home.resolve("control.sock"))
                    .contains("waiting for the node running on " + home + " to answer");
            err.reset();
            assertThat(run("--home", home.toString())).isEqualTo(Main.EXIT_STARTUP_FAILED);
            assertThat(err()).contains("another node is running on " + home).contains("waiting for the node running on " + home + " to stop");
            assertThat(home.resolve("cache")).as("no framework started on it").doesNotExist();
        } finally {
            Main.attachWaitMs = attach;
            Main.lockWaitMs = lockWait;
        }
    }

    @Test
    void aCommandWaitingForABusyFolderRunsItsOwnNodeOnceTheFolderIsFree() throws Exception {
        NodeLock held = NodeLock.tryTake(home);
        Thread releases = new Thread(() -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            held.close();
        });
        releases.start();
        try {
            assertThat(run("--home", home.toString(), "-c", "quiver:id")).as(err()).isZero();
            assertThat(out().strip()).matches("[a-z2-7]{52}");
        } finally {
            releases.join();
        }
    }
}
