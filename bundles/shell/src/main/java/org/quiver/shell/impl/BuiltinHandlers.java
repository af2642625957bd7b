package org.quiver.shell.impl;

import java.io.PrintStream;
import java.nio.file.Path;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;

/** The server side of the built-in protocols, as whiteboard protocol handlers. */
final class BuiltinHandlers {
    private BuiltinHandlers() {
    }

    /** Serves every stream the peer opens on {@code c} with {@code serve}, one at a time, until it closes. */
    static void serveStreams(Connection c, StreamServer serve) {
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(c.acceptBi(), java.time.Duration.ofDays(1));
            } catch (QuiverException | InterruptedException closed) {
                return;
            }
            try {
                serve.serve(s);
            } catch (Exception e) {
                s.send().reset(1);
            }
        }
    }

    interface StreamServer {
        void serve(BiStream s) throws Exception;
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.PING)
    public static final class Ping implements ProtocolHandler {
        @Override
        public void accept(Connection c) {
            serveStreams(c, Protocols::servePing);
        }
    }

    @Component(service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Protocols.MESSAGE)
    public static final class Message implements ProtocolHandler {
        private final PrintStream console = System.out;

        @Override
        public void accept(Connection c) {
            serveStreams(c, s -> console.println("message from " + c.remoteId() + ": " + Protocols.serveMessage(s)));
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

        @Override
        public void accept(Connection c) {
            serveStreams(c, s -> console.println("file from " + c.remoteId() + " stored in " + Protocols.serveFile(s, folder)));
        }
    }
}
