package org.quiver.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
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
import org.quiver.discovery.dns.Bind9;
import org.quiver.discovery.dns.DnsDiscovery;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.EndpointRecord;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * The DNS discovery bundle hot-installed into a running node, against a real bind9 (started by the test
 * driver before the framework, stopped when the JVM ends): a peer whose signed record only DNS holds is not
 * found before the bundle is installed, is dialed by id alone once it is, and is not found after it is
 * uninstalled; the endpoint is never restarted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DnsHotInstallIT {
    private static final String ALPN = "it/echo/1";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() throws Exception {
        String[] bind = BindForIt.start(); // runs in the test driver, before the framework
        Option[] node = NodeBundles.containerOptions("quiver-it-dns");
        Option[] all = java.util.Arrays.copyOf(node, node.length + 2);
        all[node.length] = CoreOptions.frameworkProperty("quiver.it.dns.port").value(bind[0]);
        all[node.length + 1] = CoreOptions.frameworkProperty("quiver.it.dns.secret").value(bind[1]);
        return all;
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    private void awaitDnsProvider(boolean present) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            org.osgi.framework.ServiceReference<?>[] refs = context.getServiceReferences(Discovery.class.getName(), "(quiver.discovery.name=dns)");
            if ((refs != null) == present) {
                return;
            }
            Thread.sleep(20);
        }
        fail("the dns provider did not " + (present ? "appear" : "go"));
    }

    private static String failure(Endpoint node, org.quiver.api.EndpointId id) throws Exception {
        try {
            node.connect(id, ALPN).toCompletableFuture().get(20, TimeUnit.SECONDS).close();
            return null;
        } catch (ExecutionException e) {
            return e.getCause().getMessage();
        }
    }

    @Test
    public void theDnsBundleHotInstalledFindsThePeerAndItsRemovalForgetsIt() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        long endpointService = (Long) context.getServiceReference(Endpoint.class).getProperty("service.id");
        int port = Integer.parseInt(context.getProperty("quiver.it.dns.port"));
        String secret = context.getProperty("quiver.it.dns.secret");

        // the node's DNS settings are there before the bundle is
        org.osgi.service.cm.Configuration cfg = configAdmin.getConfiguration("org.quiver.discovery.dns", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("zone", Bind9.ZONE);
        props.put("server", "127.0.0.1:" + port);
        props.put("tsigName", Bind9.KEY);
        props.put("tsigSecret", secret);
        cfg.update(props);
        // a peer publishes its signed record in DNS (as its own node would)
        org.quiver.api.LocalIdentity peerId = Identities.ephemeral();
        Endpoint peer = QuicEndpoints.create(peerId, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of(ALPN, Echo.HANDLER));
        try {
            new DnsDiscovery(new DnsDiscovery.Config(DnsDiscovery.Config.zone(Bind9.ZONE), new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port), new DnsDiscovery.TsigKey(Bind9.KEY, "hmac-sha256", secret),
                    Duration.ofSeconds(60), Duration.ofSeconds(3), Duration.ofHours(24)))
                    .publishAsync(EndpointRecord.sign(peer.addr().get(), Instant.now(), peerId::sign)).get(10, TimeUnit.SECONDS);

            // what the framework, SCR and the bundles print while bundles come and go: an error would show here
            java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
            java.io.PrintStream err = System.err;
            System.setErr(new java.io.PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    err.write(b);
                    synchronized (log) {
                        log.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    err.write(b, off, len);
                    synchronized (log) {
                        log.write(b, off, len);
                    }
                }
            }, true));
            try {
                hotInstall(node, peer, location(), endpointService);
            } finally {
                System.setErr(err);
            }
            String printed;
            synchronized (log) {
                printed = log.toString(java.nio.charset.StandardCharsets.UTF_8);
            }
            assertTrue("no error while the bundle came and went:\n" + printed,
                    !printed.contains("ERROR") && !printed.contains("Exception") && !printed.contains("Error"));
        } finally {
            cfg.delete();
            peer.close();
        }
    }

    private String location() {
        Bundle dns = bundle("org.quiver.discovery-dns");
        assertNotNull(dns);
        return dns.getLocation();
    }

    private void hotInstall(Endpoint node, Endpoint peer, String location, long endpointService) throws Exception {
        // the node before the DNS bundle is there
        Bundle dns = bundle("org.quiver.discovery-dns");
        assertNotNull(dns);
        dns.uninstall();
        awaitDnsProvider(false);

        String before = failure(node, peer.id());
        assertNotNull("without the DNS bundle nobody knows the peer", before);
        assertTrue(before, before.contains("by id alone"));

        Bundle installed = context.installBundle(location);
        installed.start();
        awaitDnsProvider(true);
        Connection c = Blocking.await(node.connect(peer.id(), ALPN), Duration.ofSeconds(20));
        assertEquals(peer.id(), c.remoteId());
        c.close();

        installed.uninstall();
        awaitDnsProvider(false);
        String after = failure(node, peer.id());
        assertNotNull("the DNS bundle is gone", after);
        assertTrue(after, after.contains("by id alone"));
        assertEquals("the endpoint was never restarted", endpointService,
                (long) (Long) context.getServiceReference(Endpoint.class).getProperty("service.id"));
    }
}
