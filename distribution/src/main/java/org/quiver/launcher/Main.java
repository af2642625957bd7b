package org.quiver.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Starts a Quiver node: a Felix framework with every bundle in the distribution's {@code bundle/} folder,
 * its data in the node's home folder. Interactive by default (Gogo with JLine), or headless with {@code --no-shell}
 * until SIGTERM; with {@code -c} it runs
 * the given commands, prints their results and exits with status 1 if one failed. One node per node folder
 * ({@link NodeLock}): with {@code -c} on the folder of a running node, the commands run in that node
 * ({@link ControlClient}, {@link ControlServer}).
 *
 * <p>Owns the framework: it stops it on exit, on end of input in the shell, and on SIGTERM/SIGINT.
 */
public final class Main {
    static final int EXIT_OK = 0;
    static final int EXIT_COMMAND_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_STARTUP_FAILED = 3;

    private static final String COMMAND_PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    private static final String COMMAND_SESSION = "org.apache.felix.service.command.CommandSession";
    private static final long SERVICE_WAIT_MS = 10_000;
    private static final int PLATFORM_LEVEL = 1;
    private static final int NODE_LEVEL = 2;
    /** Gogo's JLine shell: the interactive console. */
    private static final String INTERACTIVE_SHELL = "org.apache.felix.gogo.jline";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Everything but {@code System.exit}, so that tests can run it. */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        long t0 = System.nanoTime();
        Options options;
        try {
            options = Options.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("quiver: " + e.getMessage());
            err.println(Options.USAGE);
            return EXIT_USAGE;
        }
        if (options.help) {
            out.println(Options.USAGE);
            return EXIT_OK;
        }
        NodeLock lock;
        try {
            lock = NodeLock.tryTake(options.home);
        } catch (IOException e) {
            err.println("quiver: cannot lock the node folder " + options.home + ": " + e.getMessage());
            return EXIT_STARTUP_FAILED;
        }
        if (lock == null) { // a node runs on this folder: -c runs in it; a second node never starts
            return elsewhere(options, in, out, err, t0);
        }
        try (lock) {
            return runNode(options, in, out, err, t0);
        }
    }

    /** How long {@code -c} waits for the node that holds the folder's lock to answer on its control socket (tests shorten it). */
    static volatile long attachWaitMs = 20_000;
    /** How long a node waits for the one that holds its folder to stop: a restart right after a stop (tests shorten it). */
    static volatile long lockWaitMs = 10_000;

    /**
     * Another process (or another run in this JVM) holds the node folder. With {@code -c}: the commands run in that node
     * through its control socket, waited for while it is still starting. Without: this node waits a little for that one
     * to stop (a restart), then gives up with a message; it never starts beside it.
     */
    private static int elsewhere(Options options, InputStream in, PrintStream out, PrintStream err, long t0) {
        long start = System.nanoTime();
        long wait = TimeUnit.MILLISECONDS.toNanos(options.commands.isEmpty() ? lockWaitMs : attachWaitMs);
        boolean told = false;
        while (true) {
            if (!options.commands.isEmpty()) {
                java.nio.channels.SocketChannel ch = ControlClient.connect(options.home);
                if (ch != null) {
                    int status = ControlClient.run(ch, options.commands, Path.of("").toAbsolutePath(), out, err);
                    if (options.timing) {
                        err.printf("quiver: ran in the node already running on %s, in %d ms%n", options.home,
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    }
                    return status;
                }
            }
            try {
                NodeLock lock = NodeLock.tryTake(options.home);
                if (lock != null) { // that node stopped meanwhile: this one runs after all
                    try (lock) {
                        return runNode(options, in, out, err, t0);
                    }
                }
            } catch (IOException e) {
                err.println("quiver: cannot lock the node folder " + options.home + ": " + e.getMessage());
                return EXIT_STARTUP_FAILED;
            }
            long waited = System.nanoTime() - start;
            if (waited >= wait) {
                if (options.commands.isEmpty()) {
                    err.println("quiver: another node is running on " + options.home + ": run commands in it with"
                            + " 'quiver --home " + options.home + " -c ...', or give this node its own --home");
                } else {
                    err.println("quiver: a node is running on " + options.home + " but does not answer on "
                            + options.home.resolve(ControlServer.FILE) + " (it printed why at its start)");
                }
                return EXIT_STARTUP_FAILED;
            }
            if (!told && waited > TimeUnit.SECONDS.toNanos(2)) {
                err.println("quiver: waiting for the node running on " + options.home
                        + (options.commands.isEmpty() ? " to stop" : " to answer"));
                told = true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return EXIT_STARTUP_FAILED;
            }
        }
    }

    /** This process's own node, the folder's lock held by the caller. */
    private static int runNode(Options options, InputStream in, PrintStream out, PrintStream err, long t0) {
        if (!options.commands.isEmpty()) {
            // With -c, stdout carries only the commands' results (scripts parse it): whatever bundles print
            // there (SCR and EventAdmin log to System.out when there is no LogService) goes to stderr.
            System.setOut(err);
        }
        Phases phases = Phases.of(options.timing, err, t0);
        Framework framework;
        try {
            framework = start(options, err, phases);
        } catch (IOException | BundleException | RuntimeException e) {
            err.println("quiver: the node did not start: " + e.getMessage());
            return EXIT_STARTUP_FAILED;
        }
        java.util.concurrent.atomic.AtomicReference<ControlServer> control = new java.util.concurrent.atomic.AtomicReference<>();
        Thread hook = new Thread(() -> {
            ControlServer c = control.get();
            if (c != null) {
                c.close();
            }
            stop(framework);
        }, "quiver-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (options.timing) {
            err.printf("quiver: framework started in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
        int status;
        if (options.commands.isEmpty()) {
            BundleContext context = framework.getBundleContext();
            try {
                control.set(ControlServer.start(options.home,
                        (commands, cwd, cin, cout, cerr) -> runCommands(context, commands, cwd, cin, cout, cerr, -1),
                        CONTROL_REQUEST_WAIT_MS, TimeUnit.MILLISECONDS, err));
            } catch (IOException | RuntimeException e) {
                err.println("quiver: no control socket, so 'quiver -c' on this node folder cannot reach this node: " + e.getMessage());
            }
            status = waitForStop(framework);
            ControlServer c = control.getAndSet(null);
            if (c != null) {
                c.close();
            }
        } else {
            awaitDeployed(framework.getBundleContext(), options.home.resolve("deploy"), err);
            status = runCommands(framework.getBundleContext(), options.commands, null, in, out, err, options.timing ? t0 : -1);
            phases.done("commands run");
            stop(framework);
            phases.done("framework stopped");
            System.setOut(out);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook stops the framework
        }
        return status;
    }

    /** How long a control connection has to send its request. */
    static final long CONTROL_REQUEST_WAIT_MS = 10_000;

    static Framework start(Options options, PrintStream err, Phases phases) throws IOException, BundleException {
        Path dist = options.dist;
        Path home = options.home;
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("deploy"));
        Map<String, String> config = frameworkConfig(dist, home);
        if (!options.commands.isEmpty()) {
            // a one-shot process builds its endpoint at the first command that uses it (EndpointComponent.START_PROPERTY):
            // quiver:id opens no socket, publishes nothing, connects to no relay, and does not wait for a build it never used
            config.putIfAbsent(ENDPOINT_START, "on-demand");
        }
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, Main.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path (lib/ is incomplete)"));
        Framework framework = factory.newFramework(config);
        phases.done("framework created");
        framework.init();
        phases.done("framework initialised");
        BundleContext context = framework.getBundleContext();
        BundleStartTimes startTimes = options.timing ? new BundleStartTimes() : null;
        if (startTimes != null) {
            context.addBundleListener(startTimes);
        }
        List<Bundle> installed = new ArrayList<>();
        List<Path> jars;
        try (Stream<Path> files = Files.list(dist.resolve("bundle"))) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).sorted(INSTALL_ORDER).toList();
        }
        for (Path jar : jars) {
            // reference: makes Felix read the jar in place instead of copying it into the cache
            installed.add(context.installBundle("reference:" + jar.toUri()));
        }
        phases.done(installed.size() + " bundles installed");
        // Start order, deterministic: level 1 is the platform (SCR, ConfigAdmin, fileinstall, which applies
        // conf/*.cfg before its start returns); level 2 is Quiver's bundles, which thus see their
        // configuration at their first activation (a configured key file is used, no default identity is
        // made first). The terminal shell comes last, and only when there is a user to talk to: with -c it
        // would grab the terminal.
        Bundle terminalShell = null;
        for (Bundle b : installed) {
            String name = b.getSymbolicName() == null ? "" : b.getSymbolicName();
            b.adapt(BundleStartLevel.class).setStartLevel(isPlatform(name) ? PLATFORM_LEVEL : NODE_LEVEL);
            if (INTERACTIVE_SHELL.equals(name)) {
                terminalShell = b;
            } else if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                start(b, err);
            }
        }
        framework.start(); // to the beginning start level: the platform
        phases.done("platform started (start level " + PLATFORM_LEVEL + ")");
        setStartLevel(framework, NODE_LEVEL);
        phases.done("node started (start level " + NODE_LEVEL + ")");
        if (startTimes != null) {
            startTimes.print(context, err, 8);
        }
        if (terminalShell != null && options.commands.isEmpty() && !options.noShell) {
            start(terminalShell, err);
        }
        return framework;
    }

    static final String EVENT_ADMIN = "org.apache.felix.eventadmin";
    /** The transport's framework property for when its endpoint is built (its EndpointComponent.START_PROPERTY). */
    static final String ENDPOINT_START = "quiver.endpoint.start";

    /**
     * Bundles of a start level start in the order they were installed. The identity first, then the relay client and
     * server, then the transport, whose endpoint is built on a thread of its own (~150 ms of class loading and native
     * set-up) while the framework starts the other bundles; by name otherwise. The relay bundles come before the
     * transport because, when configured, they set up netty (event loops, channels) as they start: netty's classes are
     * then initialised by one thread at a time (class initialisation across threads has deadlocked netty before,
     * netty#5720), and the endpoint's thread overlaps only bundles that do not use netty.
     */
    static final java.util.Comparator<Path> INSTALL_ORDER = java.util.Comparator
            .comparing((Path p) -> {
                String name = p.getFileName().toString();
                return name.startsWith("quiver-identity-") ? 0 : name.startsWith("quiver-relay-client-") || name.startsWith("quiver-relay-server-") ? 1
                        : name.startsWith("quiver-transport-quic-") ? 2 : 3;
            })
            .thenComparing(p -> p.getFileName().toString());

    static boolean isPlatform(String symbolicName) {
        return symbolicName.startsWith("org.apache.felix.") || symbolicName.startsWith("org.osgi.")
                || symbolicName.startsWith("org.jline");
    }

    private static void setStartLevel(Framework framework, int level) {
        CountDownLatch reached = new CountDownLatch(1);
        framework.adapt(FrameworkStartLevel.class).setStartLevel(level, event -> reached.countDown());
        try {
            if (!reached.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("start level " + level + " not reached within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void start(Bundle b, PrintStream err) {
        try {
            b.start();
        } catch (BundleException e) {
            err.println("quiver: bundle " + b.getSymbolicName() + " did not start: " + e.getMessage());
        }
    }

    /** Framework properties: conf/config.properties of the distribution, with the node's folders filled in. */
    static Map<String, String> frameworkConfig(Path dist, Path home) throws IOException {
        Properties props = new Properties();
        Path file = dist.resolve("conf/config.properties");
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> vars = Map.of("quiver.home", home.toString(), "quiver.dist", dist.toString());
        Map<String, String> config = new HashMap<>();
        for (String name : props.stringPropertyNames()) {
            config.put(name, substitute(props.getProperty(name), vars));
        }
        config.put("quiver.home", home.toString());
        config.put("quiver.dist", dist.toString());
        config.putIfAbsent(Constants.FRAMEWORK_STORAGE, home.resolve("cache").toString());
        config.putIfAbsent(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        return config;
    }

    static String substitute(String value, Map<String, String> vars) {
        String result = value;
        for (Map.Entry<String, String> v : vars.entrySet()) {
            result = result.replace("${" + v.getKey() + "}", v.getValue());
        }
        return result;
    }

    /**
     * Runs each command in one Gogo session (its working folder {@code cwd}, or this process's when null); prints each
     * result; stops at the first failure.
     */
    static int runCommands(BundleContext context, List<String> commands, Path cwd, InputStream in, PrintStream out,
            PrintStream err, long t0) {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, COMMAND_PROCESSOR, null);
        tracker.open();
        try {
            Object processor = tracker.waitForService(SERVICE_WAIT_MS);
            if (processor == null) {
                err.println("quiver: no Gogo command processor after " + SERVICE_WAIT_MS + " ms (is org.apache.felix.gogo.runtime in bundle/?)");
                return EXIT_STARTUP_FAILED;
            }
            if (!awaitQuiverCommands(context)) {
                err.println("quiver: the quiver:* commands are not registered (the org.quiver.shell bundle is missing or "
                        + "failed; see the errors above)");
            }
            if (t0 >= 0) {
                err.printf("quiver: shell ready in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
            ClassLoader gogo = tracker.getServiceReference().getBundle().adapt(BundleWiring.class).getClassLoader();
            Class<?> processorType = gogo.loadClass(COMMAND_PROCESSOR);
            Class<?> sessionType = gogo.loadClass(COMMAND_SESSION);
            Object session = processorType.getMethod("createSession", InputStream.class, java.io.OutputStream.class,
                    java.io.OutputStream.class).invoke(processor, in, out, err);
            if (cwd != null) { // a control client's folder: relative paths in its commands are its own
                sessionType.getMethod("currentDir", Path.class).invoke(session, cwd);
            }
            Method execute = sessionType.getMethod("execute", CharSequence.class);
            Method format = sessionType.getMethod("format", Object.class, int.class);
            try {
                for (String command : commands) {
                    for (String statement : Statements.split(command)) {
                        Object result;
                        try {
                            result = execute.invoke(session, statement);
                        } catch (InvocationTargetException e) {
                            Throwable cause = e.getCause();
                            String message = cause.getMessage() != null ? cause.getMessage() : cause.toString();
                            err.println("Error in '" + statement + "': " + message);
                            return EXIT_COMMAND_FAILED;
                        }
                        if (result != null) {
                            out.println(format.invoke(session, result, 0)); // Converter.INSPECT
                        }
                    }
                }
                out.flush();
                return EXIT_OK;
            } finally {
                sessionType.getMethod("close").invoke(session);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_COMMAND_FAILED;
        } catch (ReflectiveOperationException e) {
            err.println("quiver: cannot drive the Gogo shell: " + e);
            return EXIT_STARTUP_FAILED;
        } finally {
            tracker.close();
        }
    }

    /**
     * Waits (bounded) until the quiver command scope is registered. If it never is, the commands still run
     * and Gogo says which command it does not know; the component's own error is already on stderr.
     */
    /** How long {@code -c} waits for the plug-ins in deploy/ to be installed and started. */
    static final long DEPLOY_WAIT_MS = 10_000;

    /**
     * With {@code -c}: waits (bounded) until fileinstall has installed and started every jar in {@code deploy}, so that
     * the commands see the plug-ins there as an interactive node does. One line on stderr names what never came.
     */
    static void awaitDeployed(BundleContext context, Path deploy, PrintStream err) {
        List<String> jars;
        try (Stream<Path> files = Files.list(deploy)) {
            jars = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEPLOY_WAIT_MS);
        List<String> missing = jars;
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            missing = jars.stream().filter(jar -> java.util.Arrays.stream(context.getBundles()).noneMatch(b -> b.getLocation().endsWith("/" + jar)
                    && (b.getState() == Bundle.ACTIVE || (b.getHeaders().get(Constants.FRAGMENT_HOST) != null && b.getState() == Bundle.RESOLVED))))
                    .toList();
            if (!missing.isEmpty()) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (!missing.isEmpty()) {
            err.println("quiver: not started from deploy/ within " + DEPLOY_WAIT_MS + " ms: " + missing);
        } else if (!jars.isEmpty()) {
            try {
                Thread.sleep(200); // their components register their services just after they start
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean awaitQuiverCommands(BundleContext context) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
        while (System.nanoTime() < deadline) {
            try {
                ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.scope=quiver)");
                if (refs != null && refs.length > 0) {
                    return true;
                }
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            Thread.sleep(5);
        }
        return false;
    }

    private static int waitForStop(Framework framework) {
        try {
            FrameworkEvent event = framework.waitForStop(0);
            return event.getType() == FrameworkEvent.ERROR ? EXIT_STARTUP_FAILED : EXIT_OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_OK;
        }
    }

    /**
     * Stops the node. EventAdmin goes first, while the node is quiet: stopped last (it is a platform bundle), it
     * would be interrupted while still delivering the bundle and service events of everything stopping before it,
     * and print "Event Task Processing Interrupted" at every exit. Events posted while the rest stops are dropped,
     * which nobody could receive anyway.
     */
    static void stop(Framework framework) {
        try {
            for (Bundle b : framework.getBundleContext().getBundles()) {
                if (EVENT_ADMIN.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                    b.stop(Bundle.STOP_TRANSIENT);
                }
            }
        } catch (BundleException | IllegalStateException e) {
            // the framework stops it anyway
        }
        try {
            framework.stop();
            framework.waitForStop(10_000);
        } catch (BundleException | InterruptedException | IllegalStateException e) {
            // stopping anyway: the process is about to end
        }
    }
}
