package org.quiver.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ExecutionException;
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
import org.osgi.service.cm.ConfigurationAdmin;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.ProtocolHandler;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.Discovery;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * A discovery provider bundle hot-installed and removed under a running node: a peer that only it knows is
 * not found before, is dialed by id alone while it runs, and is not found after; the endpoint never restarts.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DiscoveryIT {
    private static final String ALPN = "it/echo/1";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-discovery");
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }

    private void awaitProviders(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            org.osgi.framework.ServiceReference<?>[] refs = context.getServiceReferences(Discovery.class.getName(), null);
            if ((refs == null ? 0 : refs.length) == n) {
                return;
            }
            Thread.sleep(20);
        }
        fail("expected " + n + " discovery providers");
    }

    private static String failure(Endpoint node, org.quiver.api.EndpointId id) throws Exception {
        try {
            Connection c = node.connect(id, ALPN).toCompletableFuture().get(20, TimeUnit.SECONDS);
            c.close();
            return null;
        } catch (ExecutionException e) {
            return e.getCause().getMessage();
        }
    }

    @Test
    public void aProviderBundleHotInstalledFindsThePeerAndItsRemovalForgetsIt() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        long endpointService = (Long) context.getServiceReference(Endpoint.class).getProperty("service.id");
        Bundle staticDiscovery = bundle("org.quiver.discovery-static");
        staticDiscovery.stop();
        awaitProviders(0);
        Dictionary<String, Object> handler = new Hashtable<>();
        handler.put(ProtocolHandler.ALPN_PROPERTY, ALPN);
        Endpoint peer = QuicEndpoints.create(Identities.ephemeral(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Map.of(ALPN, Echo.HANDLER));
        org.osgi.service.cm.Configuration cfg = configAdmin.getFactoryConfiguration("org.quiver.discovery.static", "peer", "?");
        try {
            String before = failure(node, peer.id());
            assertNotNull("no provider knows the peer yet", before);
            assertTrue(before, before.contains("by id alone"));

            // the peer's address, as an operator would drop it into conf/
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("id", peer.id().toString());
            InetSocketAddress at = peer.boundAddresses().get().get(0);
            props.put("addresses", at.getAddress().getHostAddress() + ":" + at.getPort());
            cfg.update(props);
            staticDiscovery.start();
            awaitProviders(1);
            Connection c = Blocking.await(node.connect(peer.id(), ALPN), Duration.ofSeconds(20));
            assertEquals(peer.id(), c.remoteId());
            c.close();

            staticDiscovery.uninstall();
            awaitProviders(0);
            String after = failure(node, peer.id());
            assertNotNull("the provider is gone", after);
            assertTrue(after, after.contains("by id alone"));
            assertEquals("the endpoint was never restarted", endpointService,
                    (long) (Long) context.getServiceReference(Endpoint.class).getProperty("service.id"));
        } finally {
            cfg.delete();
            peer.close();
        }
    }
}
