package org.quiver.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.FrameworkWiring;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.ProtocolHandler;
import org.quiver.identity.Identities;
import org.quiver.spi.path.PathSelector;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * The bundles the transport meets only through services (the path policy, metrics, the relay client) are updated
 * and refreshed, as Karaf's {@code bundle:update} does, while a connection streams through the node: the
 * Endpoint service is the same one throughout (its {@code service.id}), the stream comes back byte-exact and the
 * connection never closes. When the transport imported the path bundle's packages, refreshing that bundle
 * restarted the endpoint and closed every connection.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundleUpdateIT {
    private static final String ALPN = "it/echo/1";
    private static final Duration T = Duration.ofSeconds(10);
    private static final List<String> UPDATED = List.of("org.quiver.path", "org.quiver.metrics", "org.quiver.relay-client");

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-update");
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }

    /** Updates {@code bundles} from their locations and refreshes them, waiting (bounded) for the refresh. */
    private void updateAndRefresh(List<Bundle> bundles) throws Exception {
        for (Bundle b : bundles) {
            b.update();
        }
        CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        assertTrue("the refresh finished", refreshed.await(30, TimeUnit.SECONDS));
        for (Bundle b : bundles) {
            assertEquals(b.getSymbolicName() + " is active again", Bundle.ACTIVE, b.getState());
        }
    }

    @Test
    public void updatingAndRefreshingThePathMetricsAndRelayBundlesLeavesTheEndpointAndAStreamAlone() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        ServiceReference<Endpoint> endpointRef = context.getServiceReference(Endpoint.class);
        Object endpointServiceId = endpointRef.getProperty("service.id");
        Bundle transport = bundle("org.quiver.transport-quic");
        long transportModified = transport.getLastModified();

        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtocolHandler.ALPN_PROPERTY, ALPN);
        ServiceRegistration<ProtocolHandler> reg = context.registerService(ProtocolHandler.class, Echo.HANDLER, props);
        Endpoint other = QuicEndpoints.create(Identities.ephemeral(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of());
        try {
            InetSocketAddress nodeAt = node.boundAddresses().get().get(0);
            Connection c = Blocking.await(other.connect(EndpointAddr.of(node.id(), null, List.of(nodeAt)), ALPN), T);
            BiStream s = Blocking.await(c.openBi(), T);

            // the reader hashes the echo as it comes; the writer streams until told to finish
            MessageDigest sentHash = MessageDigest.getInstance("SHA-256");
            AtomicLong sent = new AtomicLong();
            AtomicBoolean finish = new AtomicBoolean();
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = s.recv().inputStream()) {
                    MessageDigest h = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[65536];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        h.update(buf, 0, n);
                    }
                    return h.digest();
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                Random random = new Random(0x5eed_0019L);
                byte[] chunk = new byte[32 * 1024];
                try (OutputStream out = s.send().outputStream()) {
                    // bounded: at most 20,000 chunks (640 MiB), about 10 s at the pace below
                    for (int i = 0; i < 20_000 && !finish.get(); i++) {
                        random.nextBytes(chunk);
                        out.write(chunk);
                        sentHash.update(chunk);
                        sent.addAndGet(chunk.length);
                        if (i % 16 == 0) {
                            Thread.sleep(1);
                        }
                    }
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (sent.get() < 4 << 20 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue("the stream is flowing before the update", sent.get() >= 4 << 20);
            long selectorIdBefore = (Long) context.getServiceReference(PathSelector.class).getProperty("service.id");

            List<Bundle> bundles = new ArrayList<>();
            for (String name : UPDATED) {
                bundles.add(bundle(name));
            }
            long sentBeforeUpdate = sent.get();
            updateAndRefresh(bundles);
            long sentAfterRefresh = sent.get();

            // the path bundle's selector is back, as a new service
            long waitSelector = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            ServiceReference<PathSelector> selector = context.getServiceReference(PathSelector.class);
            while ((selector == null || (Long) selector.getProperty("service.id") == selectorIdBefore) && System.nanoTime() < waitSelector) {
                Thread.sleep(20);
                selector = context.getServiceReference(PathSelector.class);
            }
            assertNotNull("the path bundle registers its selector again", selector);
            assertTrue("a new selector service", (Long) selector.getProperty("service.id") != selectorIdBefore);

            finish.set(true);
            writer.get(60, TimeUnit.SECONDS);
            byte[] back = echoed.get(60, TimeUnit.SECONDS);
            assertArrayEquals("the echo of " + sent.get() + " bytes is byte-exact", sentHash.digest(), back);
            assertTrue("bytes flowed during the update (" + sentBeforeUpdate + " -> " + sentAfterRefresh + ")",
                    sentAfterRefresh > sentBeforeUpdate);

            assertFalse("the connection never closed", c.closed().toCompletableFuture().isDone());
            ServiceReference<Endpoint> after = context.getServiceReference(Endpoint.class);
            assertEquals("the same Endpoint service", endpointServiceId, after.getProperty("service.id"));
            assertEquals("the transport bundle was not updated", transportModified, transport.getLastModified());
            assertEquals(Bundle.ACTIVE, transport.getState());
            System.out.println("BundleUpdateIT: " + sent.get() + " bytes echoed byte-exact across the update of " + UPDATED
                    + "; " + (sentAfterRefresh - sentBeforeUpdate) + " of them sent during update+refresh; endpoint service.id "
                    + endpointServiceId + " throughout");
        } finally {
            reg.unregister();
            other.close();
        }
    }
}
