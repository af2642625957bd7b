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
}
