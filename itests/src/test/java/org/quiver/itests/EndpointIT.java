package org.quiver.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.ProtocolHandler;
import org.quiver.api.QuiverException;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * Two endpoints in one Felix container: the node's Endpoint service and a second one built with the plain-Java
 * API. A whiteboard ProtocolHandler registered as a service serves streams and datagrams, with pinned ids;
 * stopping the transport bundle closes the endpoint within the bound and frees its port.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EndpointIT {
    private static final String ALPN = "it/echo/1";
    private static final Duration T = Duration.ofSeconds(10);

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-endpoint");
    }

    @Test
    public void whiteboardHandlerServesASecondEndpointAndTheBundleStopsCleanly() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        EndpointAddr target = node.addr().get();
        InetSocketAddress bound = node.boundAddresses().get().get(0);
        assertTrue("only loopback addresses: " + target, target.directAddresses().stream().allMatch(a -> a.getAddress().isLoopbackAddress()));

        Endpoint other = QuicEndpoints.create(Identities.ephemeral(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtocolHandler.ALPN_PROPERTY, ALPN);
        ServiceRegistration<ProtocolHandler> reg = null;
        try {
            try {
                Blocking.await(other.connect(target, ALPN), T);
                fail("no handler serves " + ALPN + " yet: the handshake must be refused");
            } catch (QuiverException expected) {
                // refused
            }
            reg = context.registerService(ProtocolHandler.class, Echo.HANDLER, props);
            Connection c = Blocking.await(other.connect(target, ALPN), T);
            assertEquals("pinned id", node.id(), c.remoteId());

            byte[] data = new byte[1024 * 1024];
            new Random(9).nextBytes(data);
            BiStream s = Blocking.await(c.openBi(), T);
            try (OutputStream out = s.send().outputStream()) {
                out.write(data);
            }
            try (InputStream in = s.recv().inputStream()) {
                assertArrayEquals(data, in.readAllBytes());
            }
            byte[] ping = {1, 2, 3};
            java.util.concurrent.CompletableFuture<byte[]> back = c.receiveDatagram().toCompletableFuture();
            for (int i = 0; i < 50 && !back.isDone(); i++) {
                c.sendDatagram(ping);
                Thread.sleep(20);
            }
            assertArrayEquals(ping, back.get(5, TimeUnit.SECONDS));
            assertTrue("the node sees the dialer's id",
                    node.connections().stream().anyMatch(n -> n.remoteId().equals(other.id())));

            // stopping the transport bundle closes the endpoint: the peer sees it, the port is freed, fast
            Bundle transport = null;
            for (Bundle b : context.getBundles()) {
                if ("org.quiver.transport-quic".equals(b.getSymbolicName())) {
                    transport = b;
                }
            }
            assertNotNull("the transport bundle", transport);
            long t0 = System.nanoTime();
            transport.stop();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue("bundle stop took " + ms + " ms", ms < 1000);
            assertNotNull("the peer saw the close", c.closed().toCompletableFuture().get(5, TimeUnit.SECONDS));
            try (DatagramSocket socket = new DatagramSocket(bound)) {
                assertEquals(bound.getPort(), socket.getLocalPort());
            }
            transport.start();
        } finally {
            if (reg != null) {
                reg.unregister();
            }
            other.close();
        }
    }
}
