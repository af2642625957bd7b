package org.quiver.discovery.dns;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real bind9 ({@code named}, Debian's bind9 package) on loopback, on a free port, serving one zone that
 * accepts dynamic updates signed with one TSIG key. Started and stopped by the test that needs it.
 */
public final class Bind9 implements AutoCloseable {
    public static final String ZONE = "quiver.test";
    public static final String KEY = "quiver-key";

    private final Process process;
    private final int port;
    private final String secret;
    private final Path dir;
    private final InetAddress listen;

    public Bind9(Path dir) throws IOException, InterruptedException {
        this(dir, java.util.List.of(), InetAddress.getLoopbackAddress(), 0);
    }

    /**
     * A bind9 started through {@code wrapper} (for example {@code ip netns exec NS}), listening on
     * {@code listen} at {@code port} (0: a free one here; give one inside a namespace). Readiness is then read
     * from named's log, since this process may not reach the address.
     */
    public Bind9(Path dir, java.util.List<String> wrapper, InetAddress listen, int port) throws IOException, InterruptedException {
        this.dir = dir;
        this.listen = listen;
        this.port = port != 0 ? port : freePort();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.secret = Base64.getEncoder().encodeToString(key);
        Files.writeString(dir.resolve(ZONE + ".zone"), "$TTL 60\n@ IN SOA ns." + ZONE + ". admin." + ZONE + ". 1 60 60 600 60\n"
                + "@ IN NS ns." + ZONE + ".\nns IN A 127.0.0.1\n");
        Files.writeString(dir.resolve("named.conf"), "options {\n directory \"" + dir + "\";\n pid-file \"" + dir + "/named.pid\";\n"
                + " session-keyfile \"" + dir + "/session.key\";\n managed-keys-directory \"" + dir + "\";\n"
                + " listen-on port " + this.port + " { " + listen.getHostAddress() + "; };\n listen-on-v6 { none; };\n recursion no;\n allow-query { any; };\n"
                + " dnssec-validation no;\n};\ncontrols { };\n"
                + "key \"" + KEY + "\" { algorithm hmac-sha256; secret \"" + secret + "\"; };\n"
                + "zone \"" + ZONE + "\" { type primary; file \"" + dir + "/" + ZONE + ".zone\"; allow-update { key \"" + KEY + "\"; }; };\n");
        java.util.List<String> command = new java.util.ArrayList<>(wrapper);
        command.addAll(java.util.List.of(named(), "-g", "-n", "1", "-c", dir.resolve("named.conf").toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(dir.resolve("named.log").toFile());
        this.process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (wrapper.isEmpty() ? !answers() : !Files.readString(dir.resolve("named.log"), StandardCharsets.UTF_8).contains("running")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("named did not start: " + Files.readString(dir.resolve("named.log"), StandardCharsets.UTF_8));
            }
            Thread.sleep(50);
        }
    }

    private static String named() {
        for (String p : new String[] {"/usr/sbin/named", "/usr/bin/named"}) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return "named";
    }

    private static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (DatagramSocket u = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                int p = u.getLocalPort();
                try (ServerSocket t = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                    return t.getLocalPort();
                } catch (IOException taken) {
                    // the TCP port is in use: another one
                }
            }
        }
        throw new IOException("no free port for named");
    }

    private boolean answers() {
        try {
            SimpleResolver r = new SimpleResolver(address());
            r.setTimeout(Duration.ofMillis(300));
            Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(ZONE + "."), Type.SOA, DClass.IN)));
            return m.getRcode() == Rcode.NOERROR && !m.getSection(1).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(listen, port);
    }

    public String secret() {
        return secret;
    }

    /** What named printed. */
    public String log() throws IOException {
        return Files.readString(dir.resolve("named.log"), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
