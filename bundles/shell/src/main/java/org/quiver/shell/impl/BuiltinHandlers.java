package org.quiver.shell.impl;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.quiver.api.BiStream;
import org.quiver.api.Connection;
import org.quiver.api.ProtocolHandler;

/** The server side of the built-in protocols, as whiteboard protocol handlers. */
final class BuiltinHandlers {
    private BuiltinHandlers() {
    }

    /** The threads that serve built-in protocol streams; owned by the component that made them. */
    static java.util.concurrent.ExecutorService workers(String name) {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(16, 16, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(1_000), r -> {
                    Thread t = new Thread(r, "quiver-" + name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * A built-in protocol handler: serves each stream of a connection through its {@link StreamServing} (per-peer
     * limit, idle deadline), which it stops.
     */
    abstract static class StreamHandler implements ProtocolHandler {
        final PrintStream console = System.out;
        final StreamServing serving;

        StreamHandler(String name, Duration idle) {
            this.serving = new StreamServing(name, StreamServing.PER_PEER, idle);
        }

        abstract void serve(Connection c, BiStream s, Runnable progress) throws Exception;

        @Override
        public void accept(Connection c) {
            serving.serve(c, (s, progress) -> serve(c, s, progress));
        }

        @org.osgi.service.component.annotations.Deactivate
        void deactivate() {
            serving.close();
        }
    }

    @Component(name = "org.quiver.shell.ping", service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.PING)
    public static final class Ping extends StreamHandler {
        public Ping() {
            super("ping", Duration.ofSeconds(10));
        }

        @Override
        void serve(Connection c, BiStream s, Runnable progress) throws Exception {
            Protocols.servePing(s);
        }

        /** A ping changes nothing and answers only its sender: a replayed one is harmless, so it may come in 0-RTT. */
        @Override
        public boolean replaySafe() {
            return true;
        }
    }

    @Component(name = "org.quiver.shell.message", service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.MESSAGE)
    public static final class Message extends StreamHandler {
        public Message() {
            super("message", Duration.ofSeconds(10));
        }

        @Override
        void serve(Connection c, BiStream s, Runnable progress) throws Exception {
            console.println("message from " + c.remoteId() + ": " + Protocols.serveMessage(s));
        }
    }

    /**
     * The file receiver: opt-in (configuration {@value #PID}: {@code accept}, the ids it takes files from, and the
     * limits of {@link FilePolicy.Limits}); {@code quiver:accept} changes acceptances while it runs. Also registered
     * as itself, for the shell's {@code quiver:accept}.
     */
    @Component(name = FileReceiver.PID, service = {ProtocolHandler.class, FileReceiver.class},
            property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.FILE)
    @org.osgi.service.metatype.annotations.Designate(ocd = FileReceiver.Config.class)
    public static final class FileReceiver extends StreamHandler {
        public static final String PID = "org.quiver.files";

        @org.osgi.service.metatype.annotations.ObjectClassDefinition(name = "Quiver file receiver",
                description = "Who may store files on this node (quiver/file/2), and how much")
        public @interface Config {
            @org.osgi.service.metatype.annotations.AttributeDefinition(description = "Ids the node takes files from; empty: nobody")
            String[] accept() default {};

            @org.osgi.service.metatype.annotations.AttributeDefinition(description = "Largest file taken (MiB)")
            long maxFileMiB() default 4096;

            @org.osgi.service.metatype.annotations.AttributeDefinition(description = "What one peer may store (MiB, since the node started)")
            long perPeerMiB() default 16384;

            @org.osgi.service.metatype.annotations.AttributeDefinition(description = "What received/ may hold (MiB)")
            long totalMiB() default 65536;

            @org.osgi.service.metatype.annotations.AttributeDefinition(description = "Free space kept on its file system (MiB)")
            long minFreeMiB() default 1024;

            @org.osgi.service.metatype.annotations.AttributeDefinition(description = "Transfers at once, from all peers")
            int maxTransfers() default 4;
        }

        private final FilePolicy policy;

        @Activate
        public FileReceiver(BundleContext context, Config config) {
            super("file", Duration.ofSeconds(30));
            String home = context.getProperty("quiver.home");
            if ((home == null || home.isBlank()) && context.getProperty("karaf.data") != null) {
                home = Path.of(context.getProperty("karaf.data"), "quiver").toString(); // Karaf: the node's folder is in its data folder
            }
            Path folder = Path.of(home != null ? home : System.getProperty("user.home") + "/.quiver").resolve("received");
            java.util.Set<org.quiver.api.EndpointId> accepted = new java.util.LinkedHashSet<>();
            for (String entry : config.accept()) {
                for (String one : entry.split(",")) {
                    if (!one.isBlank()) {
                        accepted.add(org.quiver.api.EndpointId.parse(one.strip())); // a bad id fails activation, naming it
                    }
                }
            }
            long mib = 1L << 20;
            this.policy = new FilePolicy(folder, new FilePolicy.Limits(config.maxFileMiB() * mib, config.perPeerMiB() * mib,
                    config.totalMiB() * mib, config.minFreeMiB() * mib, config.maxTransfers()), accepted);
        }

        FilePolicy policy() {
            return policy;
        }

        @Override
        void serve(Connection c, BiStream s, Runnable progress) throws Exception {
            try {
                console.println("file from " + c.remoteId() + " stored in " + Protocols.serveFile(s, c.remoteId(), policy, progress));
            } catch (Protocols.Told t) {
                console.println("file from " + c.remoteId() + " not stored: " + Protocols.printable(t.getMessage()));
            }
        }
    }
}
