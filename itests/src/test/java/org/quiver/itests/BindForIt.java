package org.quiver.itests;

import java.nio.file.Files;
import org.quiver.discovery.dns.Bind9;

/** Starts a bind9 for a Pax Exam test from its driver (outside the framework); it stops when the JVM does. */
final class BindForIt {
    private BindForIt() {
    }

    /** The server's port and TSIG secret. */
    static String[] start() throws Exception {
        Bind9 bind = new Bind9(Files.createTempDirectory("quiver-it-bind"));
        Runtime.getRuntime().addShutdownHook(new Thread(bind::close));
        return new String[] {Integer.toString(bind.address().getPort()), bind.secret()};
    }
}
