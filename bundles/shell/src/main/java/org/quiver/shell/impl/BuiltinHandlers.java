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

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.PING)
    public static final class Ping implements ProtocolHandler {
        private final java.util.concurrent.ExecutorService workers = workers("ping");

        @Override
        public void accept(Connection c) {
            serveStreams(c, Protocols::servePing, workers);
        }

        @org.osgi.service.component.annotations.Deactivate
        void deactivate() {
            workers.shutdownNow();
        }
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.MESSAGE)
    public static final class Message implements ProtocolHandler {
        private final PrintStream console = System.out;
        private final java.util.concurrent.ExecutorService workers = workers("message");

        @Override
        public void accept(Connection c) {
            serveStreams(c, s -> console.println("message from " + c.remoteId() + ": " + Protocols.serveMessage(s)), workers);
        }

        @org.osgi.service.component.annotations.Deactivate
        void deactivate() {
            workers.shutdownNow();
        }
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.FILE)
    public static final class FileReceiver implements ProtocolHandler {
        private final PrintStream console = System.out;
        private final Path folder;

        @Activate
        public FileReceiver(BundleContext context) {
            String home = context.getProperty("quiver.home");
            this.folder = Path.of(home != null ? home : System.getProperty("user.home") + "/.quiver").resolve("received");
        }

        private final java.util.concurrent.ExecutorService workers = workers("file");

        @Override
        public void accept(Connection c) {
            serveStreams(c, s -> console.println("file from " + c.remoteId() + " stored in " + Protocols.serveFile(s, folder)), workers);
        }

        @org.osgi.service.component.annotations.Deactivate
        void deactivate() {
            workers.shutdownNow();
        }
    }
}
