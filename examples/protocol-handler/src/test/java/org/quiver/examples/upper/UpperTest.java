package org.quiver.examples.upper;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.QuicEndpoints;

/** The example protocol between two real endpoints on loopback: answers, and a request over the bound refused. */
class UpperTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static byte[] ask(Connection c, byte[] request) throws Exception {
        BiStream s = Blocking.await(c.openBi(), Duration.ofSeconds(10));
        try (OutputStream out = s.send().outputStream()) {
            out.write(request);
        }
        try (InputStream in = s.recv().inputStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void answersInUpperCaseAndRefusesARequestOverTheBound() throws Exception {
        try (Endpoint server = QuicEndpoints.create(Identities.ephemeral(), LO, Map.of(Upper.ALPN, new UpperComponent()));
             Endpoint client = QuicEndpoints.create(Identities.ephemeral(), LO, Map.of())) {
            Connection c = Blocking.await(client.connect(EndpointAddr.of(server.id(), null, List.of(server.boundAddresses().get().get(0))),
                    Upper.ALPN), Duration.ofSeconds(10));
            assertThat(new String(ask(c, "hello, quiver".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8)).isEqualTo("HELLO, QUIVER");
            byte[] tooMuch = new byte[Upper.MAX_BYTES + 1];
            java.util.Arrays.fill(tooMuch, (byte) 'a');
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ask(c, tooMuch)).as("the stream is refused")
                    .isInstanceOf(java.io.IOException.class);
            assertThat(new String(ask(c, "still here".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
                    .as("the connection serves the next stream").isEqualTo("STILL HERE");
        }
    }
}
