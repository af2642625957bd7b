package org.quiver.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {
    @Test
    void homeFromOptionThenEnvironmentThenUserHome() {
        assertThat(Options.parse(new String[] {"--home", "/tmp/a"}, Map.of("QUIVER_HOME", "/tmp/b")).home).isEqualTo(Path.of("/tmp/a"));
        assertThat(Options.parse(new String[] {"--home=/tmp/c/../a"}, Map.of()).home).isEqualTo(Path.of("/tmp/a"));
        assertThat(Options.parse(new String[0], Map.of("QUIVER_HOME", "/tmp/b")).home).isEqualTo(Path.of("/tmp/b"));
        assertThat(Options.parse(new String[0], Map.of()).home).isEqualTo(Path.of(System.getProperty("user.home"), ".quiver"));
    }

    @Test
    void commandsAccumulate() {
        Options o = Options.parse(new String[] {"-c", "quiver:id", "--command", "quiver:addr", "--timing"}, Map.of());
        assertThat(o.commands).containsExactly("quiver:id", "quiver:addr");
        assertThat(o.timing).isTrue();
        assertThat(Options.parse(new String[] {"-h"}, Map.of()).help).isTrue();
    }

    @Test
    void noShellIsANodeForTheBackgroundAndNotACommandRun() {
        assertThat(Options.parse(new String[] {"--no-shell"}, Map.of()).noShell).isTrue();
        assertThat(Options.parse(new String[0], Map.of()).noShell).isFalse();
        assertThatThrownBy(() -> Options.parse(new String[] {"--no-shell", "-c", "quiver:id"}, Map.of()))
                .hasMessageContaining("not both");
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertThatThrownBy(() -> Options.parse(new String[] {"-c"}, Map.of())).hasMessage("-c needs a value");
        assertThatThrownBy(() -> Options.parse(new String[] {"--hme", "x"}, Map.of())).hasMessage("unknown argument '--hme'");
        assertThat(Main.run(new String[] {"--bogus"}, System.in, System.out, System.err)).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void statementsSplitAtTopLevelSeparatorsOnly() {
        assertThat(Statements.split("quiver:id; quiver:addr")).containsExactly("quiver:id", "quiver:addr");
        assertThat(Statements.split("echo 'a;b' ; x = { a; b }\n y (c;d) [e;f] \"g\\\"h;\"")).containsExactly(
                "echo 'a;b'", "x = { a; b }", "y (c;d) [e;f] \"g\\\"h;\"");
        assertThat(Statements.split(" ; ;\n")).isEmpty();
    }

    @Test
    void substitutesTheNodeFolders() {
        assertThat(Main.substitute("${quiver.home}/conf,${quiver.home}/deploy", Map.of("quiver.home", "/n")))
                .isEqualTo("/n/conf,/n/deploy");
    }
}
