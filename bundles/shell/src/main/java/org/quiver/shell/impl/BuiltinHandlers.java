package org.quiver.shell.impl;

import java.io.PrintStream;
import java.nio.file.Path;
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

    /**
     * Serves every stream the peer opens on {@code c} with {@code serve}, each on {@code workers}, until the
     * connection closes. Returns at once: a connection holds no thread while it waits for streams.
     */
    static void serveStreams(Connection c, StreamServer serve, java.util.concurrent.Executor workers) {
        c.acceptBi().whenComplete((s, closed) -> {
            if (closed != null) {
                return;
            }
            try {
                workers.execute(() -> {
                    try {
                        serve.serve(s);
                    } catch (Exception e) {
                        s.send().reset(1);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException busy) {
                s.send().reset(2);
            }
            serveStreams(c, serve, workers);
        });
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

    interface StreamServer {
        void serve(BiStream s) throws Exception;
    }

    /** A built-in protocol handler: serves each stream of a connection on its own worker threads, which it stops. */
    abstract static class StreamHandler implements ProtocolHandler {
        final PrintStream console = System.out;
        private final java.util.concurrent.ExecutorService workers;

        StreamHandler(String name) {
            this.workers = workers(name);
        }

        abstract void serve(Connection c, BiStream s) throws Exception;

        @Override
        public void accept(Connection c) {
            serveStreams(c, s -> serve(c, s), workers);
        }

        @org.osgi.service.component.annotations.Deactivate
        void deactivate() {
            workers.shutdownNow();
        }
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.PING)
    public static final class Ping extends StreamHandler {
        public Ping() {
            super("ping");
        }

        @Override
        void serve(Connection c, BiStream s) throws Exception {
            Protocols.servePing(s);
        }
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.MESSAGE)
    public static final class Message extends StreamHandler {
        public Message() {
            super("message");
        }

        @Override
        void serve(Connection c, BiStream s) throws Exception {
            console.println("message from " + c.remoteId() + ": " + Protocols.serveMessage(s));
        }
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.FILE)
    public static final class FileReceiver extends StreamHandler {
        private final Path folder;

        @Activate
        public FileReceiver(BundleContext context) {
            super("file");
            String home = context.getProperty("quiver.home");
            this.folder = Path.of(home != null ? home : System.getProperty("user.home") + "/.quiver").resolve("received");
        }

        @Override
        void serve(Connection c, BiStream s) throws Exception {
            console.println("file from " + c.remoteId() + " stored in " + Protocols.serveFile(s, folder));
        }
    }
}
