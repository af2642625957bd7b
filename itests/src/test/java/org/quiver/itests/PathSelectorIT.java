package org.quiver.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
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
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.PathStatus;
import org.quiver.api.ProtocolHandler;
import org.quiver.identity.Identities;
import org.quiver.itests.selector.WorstPathSelector;
import org.quiver.spi.path.PathSelector;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * Hot-swapping the path policy in Felix: a bundle with a higher-ranked {@link PathSelector} is installed
 * while a connection is live, the node's endpoint moves that connection to the path the new policy picks,
 * and uninstalling the bundle brings the default back and the connection with it; it is never dropped.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PathSelectorIT {
    private static final String ALPN = "it/echo/1";
    private static final Duration T = Duration.ofSeconds(10);

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-selector");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private static String selected(Endpoint e, org.quiver.api.EndpointId peer) {
        return e.paths(peer).stream().filter(PathStatus::selected).map(PathStatus::remote).findFirst().orElse("none");
    }

    private static void echoes(Connection c) throws Exception {
        byte[] data = "still connected".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        BiStream s = Blocking.await(c.openBi(), T);
        try (OutputStream out = s.send().outputStream()) {
            out.write(data);
        }
        try (InputStream in = s.recv().inputStream()) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    /** The selector bundle: WorstPathSelector's class and a manifest that makes it the activator. */
    private byte[] selectorBundle() throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "org.quiver.itests.worst-path-selector");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Bundle-Activator", WorstPathSelector.class.getName());
        a.putValue("Import-Package", "org.osgi.framework,org.quiver.spi.path");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String entry = WorstPathSelector.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream jar = new JarOutputStream(bytes, mf);
             InputStream cls = WorstPathSelector.class.getClassLoader().getResourceAsStream(entry)) {
            assertNotNull("the selector's class file", cls);
            jar.putNextEntry(new JarEntry(entry));
            cls.transferTo(jar);
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    @Test
    public void aHigherRankedSelectorBundleTakesOverALiveConnectionAndItsRemovalRestoresTheDefault() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        ServiceReference<?>[] selectors = context.getServiceReferences(PathSelector.class.getName(), null);
        assertNotNull("the path bundle's default selector", selectors);
        assertEquals(1, selectors.length);
        assertEquals(-100, selectors[0].getProperty("service.ranking"));

        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtocolHandler.ALPN_PROPERTY, ALPN);
        ServiceRegistration<ProtocolHandler> reg = context.registerService(ProtocolHandler.class, Echo.HANDLER, props);
        Endpoint other = QuicEndpoints.create(Identities.ephemeral(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of());
        InetSocketAddress nodeAt = node.boundAddresses().get().get(0);
        InetSocketAddress otherAt = other.boundAddresses().get().get(0);
        Bundle installed = null;
        try (Relay relay = new Relay(otherAt, nodeAt, 15)) {
            // two paths between the endpoints: straight, and through a relay socket that adds 30 ms of RTT
            Connection c = Blocking.await(other.connect(EndpointAddr.of(node.id(), null, List.of(nodeAt, relay.address())), ALPN), T);
            String direct = "127.0.0.1:" + otherAt.getPort();
            String relayed = "127.0.0.1:" + relay.address().getPort();
            await("the node measured both paths to the dialer", () -> node.paths(other.id()).stream()
                    .filter(p -> p.rtt().isPresent()).count() == 2);
            assertEquals("the default policy: the faster path", direct, selected(node, other.id()));
            echoes(c);

            installed = context.installBundle("quiver-it-worst-path-selector", new java.io.ByteArrayInputStream(selectorBundle()));
            installed.start();
            await("the node moves to the path the new policy picks", () -> relayed.equals(selected(node, other.id())));
            echoes(c);

            installed.uninstall();
            installed = null;
            await("the default policy is back", () -> direct.equals(selected(node, other.id())));
            echoes(c);
            assertFalse("the connection was never dropped", c.closed().toCompletableFuture().isDone());
            assertTrue(relay.forwarded() > 0);
        } finally {
            if (installed != null) {
                installed.uninstall();
            }
            reg.unregister();
            other.close();
        }
    }

    /** A UDP relay on loopback between two fixed sockets that delays every datagram (a slower path). */
    private static final class Relay implements AutoCloseable {
        private final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        private final java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        private final Thread thread;
        private final java.util.concurrent.atomic.AtomicLong forwarded = new java.util.concurrent.atomic.AtomicLong();

        Relay(InetSocketAddress one, InetSocketAddress two, long delayMillis) throws Exception {
            thread = new Thread(() -> {
                byte[] buf = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        socket.receive(p);
                        InetSocketAddress to = p.getSocketAddress().equals(one) ? two : p.getSocketAddress().equals(two) ? one : null;
                        if (to != null) {
                            byte[] copy = java.util.Arrays.copyOf(p.getData(), p.getLength());
                            timer.schedule(() -> {
                                try {
                                    socket.send(new DatagramPacket(copy, copy.length, to));
                                    forwarded.incrementAndGet();
                                } catch (java.io.IOException closed) {
                                    // closing
                                }
                            }, delayMillis, TimeUnit.MILLISECONDS);
                        }
                    } catch (java.io.IOException | java.util.concurrent.RejectedExecutionException closed) {
                        return;
                    }
                }
            }, "it-relay");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        long forwarded() {
            return forwarded.get();
        }

        @Override
        public void close() {
            socket.close();
            timer.shutdownNow();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
