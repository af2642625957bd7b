package org.quiver.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The command line of {@code bin/quiver}. */
final class Options {
    static final String USAGE = String.join("\n",
            "Usage: quiver [--home DIR] [-c COMMANDS]... [--no-shell] [--timing]",
            "  Starts a Quiver node. Without -c it opens an interactive Gogo shell (type 'help', or Ctrl-D to quit).",
            "  --home DIR      the node's data folder (identity key, conf/, deploy/, cache/);",
            "                  default: $QUIVER_HOME, else ~/.quiver",
            "  -c COMMANDS     run Gogo commands (';' separates several), print the results and exit;",
            "                  the exit status is 1 if a command failed. May be repeated. When a node is",
            "                  running on the folder, the commands run in that node (its control socket,",
            "                  DIR/control.sock, its own user only); else a node starts for them.",
            "  --no-shell      run the node without the interactive shell until it is stopped (SIGTERM,",
            "                  Ctrl-C): a node for the background; 'quiver -c' runs commands in it",
            "  --timing        print start-up times to stderr, phase by phase",
            "  -h, --help      this text",
            "Examples: quiver -c quiver:id      quiver --home /tmp/node2 -c 'quiver:id; quiver:addr'");

    Path dist;
    Path home;
    final List<String> commands = new ArrayList<>();
    boolean timing;
    boolean noShell;
    boolean help;

    static Options parse(String[] args, Map<String, String> env) {
        Options o = new Options();
        String home = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home":
                    home = value(args, ++i, a);
                    break;
                case "-c":
                case "--command":
                    o.commands.add(value(args, ++i, a));
                    break;
                case "--timing":
                    o.timing = true;
                    break;
                case "--no-shell":
                    o.noShell = true;
                    break;
                case "-h":
                case "--help":
                    o.help = true;
                    break;
                default:
                    if (a.startsWith("--home=")) {
                        home = a.substring("--home=".length());
                    } else {
                        throw new IllegalArgumentException("unknown argument '" + a + "'");
                    }
            }
        }
        if (o.noShell && !o.commands.isEmpty()) {
            throw new IllegalArgumentException("--no-shell runs a node until it is stopped; -c runs commands and exits: not both");
        }
        if (home == null || home.isBlank()) {
            home = env.get("QUIVER_HOME");
        }
        if (home == null || home.isBlank()) {
            home = Path.of(System.getProperty("user.home"), ".quiver").toString();
        }
        o.home = Path.of(home).toAbsolutePath().normalize();
        String dist = System.getProperty("quiver.dist");
        o.dist = Path.of(dist != null ? dist : ".").toAbsolutePath().normalize();
        return o;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length || args[i].isBlank()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
