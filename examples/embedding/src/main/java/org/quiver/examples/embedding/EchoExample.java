package org.quiver.examples.embedding;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * Quiver in a plain Java program (no OSGi): a server endpoint that echoes what each stream sends, a client
 * endpoint that dials it by ticket and sends a line. {@code docs/embedding.md} walks through it. Both endpoints
 * listen on loopback; {@link #main} closes them, which stops their threads.
 */
public final class EchoExample {
    /** The application protocol, negotiated as the TLS ALPN. */
    public static final String ALPN = "example/echo/1";

    private EchoExample() {
    }

    /** The server side: each stream the peer opens is read to its end and sent back. Runs on a Quiver handler thread. */
    static final ProtocolHandler ECHO = connection -> {
        while (true) {
            BiStream s;
            try {
                s = Blocking.await(connection.acceptBi(), Duration.ofMinutes(1));
            } catch (QuiverException closed) {
                return; // the connection ended
            }
            try (InputStream in = s.recv().inputStream(); OutputStream out = s.send().outputStream()) {
                out.write(in.readNBytes(64 * 1024)); // bounded: a peer's bytes are a stranger's bytes
            }
        }
    };

    /** Sends {@code text} to the endpoint at {@code ticket} and returns what came back. */
    public static String echo(Endpoint client, String ticket, String text) throws Exception {
        Connection c = Blocking.await(client.connect(EndpointAddr.fromTicket(ticket), ALPN), Duration.ofSeconds(10));
        try {
            BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
            try (OutputStream out = s.send().outputStream()) {
                out.write(text.getBytes(StandardCharsets.UTF_8)); // closing finishes the stream
            }
            try (InputStream in = s.recv().inputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            c.close();
        }
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        LocalIdentity serverKey = Identities.ephemeral(); // Identities.loadOrCreate(path) keeps a key across runs
        try (Endpoint server = QuicEndpoints.create(serverKey, loopback, Map.of(ALPN, ECHO));
             Endpoint client = QuicEndpoints.create(Identities.ephemeral(), loopback, Map.of())) {
            String ticket = server.addr().get().toTicket(); // what you would hand to a peer
            System.out.println("server " + server.id() + " at " + ticket);
            System.out.println("echoed: " + echo(client, ticket, args.length > 0 ? String.join(" ", args) : "hello, quiver"));
        }
    }
}
