package org.quiver.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
import org.osgi.service.cm.ConfigurationAdmin;
import org.quiver.api.BiStream;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.PathKind;
import org.quiver.api.ProtocolHandler;
import org.quiver.identity.Identities;
import org.quiver.relay.client.DefaultRelayProvider;
import org.quiver.relay.client.RelayClient;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;
import org.quiver.spi.relay.RelayProvider;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * Relay providers swapped under a live connection in Felix: the node reaches a peer only through a relay
 * (configured with an {@code org.quiver.relay.client} factory configuration); a higher-ranked provider for
 * another relay takes over while a stream runs, and its removal brings the default back, without a stream
 * error. Uninstalling the relay-client bundle leaves a direct connection untouched.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RelaySwapIT {
    private static final String ALPN = "it/echo/1";
    private static final Duration T = Duration.ofSeconds(10);
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-relay-swap");
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

    /** Streams {@code bytes} through the echo and checks every byte came back (writer and reader run at once). */
    private static void echo(Connection c, int bytes, long seed) throws Exception {
        byte[] data = new byte[bytes];
        new Random(seed).nextBytes(data);
        BiStream s = Blocking.await(c.openBi(), T);
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try (OutputStream out = s.send().outputStream()) {
                for (int off = 0; off < data.length; off += 16384) {
                    out.write(data, off, Math.min(16384, data.length - off));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (InputStream in = s.recv().inputStream()) {
            assertArrayEquals(data, in.readAllBytes());
        }
        writing.get(30, TimeUnit.SECONDS);
    }

    @Test
    public void aHigherRankedProviderTakesOverALiveRelayedStreamAndTheRelayBundleCanGo() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        RelayCore.Limits fast = new RelayCore.Limits(100, 512, 1L << 30, 1L << 30);
        RelayClient.Options quick = new RelayClient.Options(Duration.ofMillis(300), Duration.ofMillis(50), Duration.ofMillis(500),
                Duration.ofSeconds(5), 2 << 20);
        try (RelayServer r1 = RelayServer.start(LO, fast); RelayServer r2 = RelayServer.start(LO, fast);
             DefaultRelayProvider both = new DefaultRelayProvider(List.of(URI.create(r1.url()), URI.create(r2.url())), quick);
             DefaultRelayProvider onlyR2 = new DefaultRelayProvider(List.of(URI.create(r2.url())), quick)) {
            URI u1 = URI.create(r1.url());
            URI u2 = URI.create(r2.url());
            Dictionary<String, Object> handler = new Hashtable<>();
            handler.put(ProtocolHandler.ALPN_PROPERTY, ALPN);
            ServiceRegistration<ProtocolHandler> echo = context.registerService(ProtocolHandler.class, Echo.HANDLER, handler);

            // the node's relay: one factory configuration, as conf/org.quiver.relay.client-main.cfg would give
            org.osgi.service.cm.Configuration cfg = configAdmin.getFactoryConfiguration("org.quiver.relay.client", "main", "?");
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("url", u1.toString());
            cfg.update(props);
            await("the node's home relay is r1", () -> node.addr().get().relayUrl().equals(Optional.of(u1)));

            Endpoint peer = QuicEndpoints.create(Identities.ephemeral(), LO, Map.of(), both);
            Endpoint direct = QuicEndpoints.create(Identities.ephemeral(), LO, Map.of());
            ServiceRegistration<RelayProvider> better = null;
            try {
                await("the peer is at its relays", () -> peer.addr().get().relayUrl().isPresent());
                // only the node's id and relay: the connection runs through r1
                Connection c = Blocking.await(peer.connect(EndpointAddr.of(node.id(), u1, List.of()), ALPN), T);
                assertTrue(c.path().get().toString(), c.path().get().kind() == PathKind.RELAY);
                echo(c, 1 << 20, 1);
                Connection d = Blocking.await(direct.connect(EndpointAddr.of(node.id(), null, node.boundAddresses().get()), ALPN), T);
                assertTrue(d.path().get().kind() == PathKind.DIRECT);

                // a provider with a higher ranking arrives while a stream runs
                CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
                    try {
                        echo(c, 8 << 20, 2);
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                Thread.sleep(200);
                Dictionary<String, Object> ranking = new Hashtable<>();
                ranking.put("service.ranking", 10);
                better = context.registerService(RelayProvider.class, onlyR2, ranking);
                await("the node moves to r2", () -> node.addr().get().relayUrl().equals(Optional.of(u2)));
                running.get(60, TimeUnit.SECONDS);
                long before = r2.core().stats().forwarded();
                echo(c, 1 << 20, 3);
                assertTrue("the connection runs through r2 now", r2.core().stats().forwarded() - before > (1 << 20) / 1500);

                // the better provider goes: the configured one is back, the connection with it
                better.unregister();
                better = null;
                await("the node is back at r1", () -> node.addr().get().relayUrl().equals(Optional.of(u1)));
                ScheduledDiag diag = new ScheduledDiag(() -> "node paths " + node.paths(peer.id()) + "\n peer paths " + peer.paths(node.id())
                        + "\n node relays " + node.relays() + "\n peer relays " + peer.relays() + "\n r1 " + r1.core().stats() + " r2 "
                        + r2.core().stats() + "\n c " + c.path().get());
                try {
                    echo(c, 1 << 20, 4);
                } finally {
                    diag.close();
                }
                assertFalse("the relayed connection was never dropped", c.closed().toCompletableFuture().isDone());

                // the relay bundle goes: the direct connection does not notice
                Bundle relayClient = null;
                for (Bundle b : context.getBundles()) {
                    if ("org.quiver.relay-client".equals(b.getSymbolicName())) {
                        relayClient = b;
                    }
                }
                assertNotNull("the relay client bundle", relayClient);
                relayClient.uninstall();
                await("the node has no relay", () -> node.addr().get().relayUrl().isEmpty() && node.relays().isEmpty());
                echo(d, 1 << 20, 5);
                assertFalse("the direct connection was never dropped", d.closed().toCompletableFuture().isDone());
            } finally {
                if (better != null) {
                    better.unregister();
                }
                cfg.delete();
                echo.unregister();
                peer.close();
                direct.close();
            }
        }
    }

    /**
     * Prints what {@code what} says every 2 s from 5 s on, until closed: the state of both ends when an echo stalls
     * (this test lost one about once in twenty runs under load: the relayed connection made no progress after the
     * second provider swap until its idle timeout; not understood yet).
     */
    private static final class ScheduledDiag implements AutoCloseable {
        private final java.util.concurrent.ScheduledExecutorService ex = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

        ScheduledDiag(java.util.function.Supplier<String> what) {
            long t0 = System.nanoTime();
            ex.scheduleAtFixedRate(() -> System.out.println("DIAG +" + (System.nanoTime() - t0) / 1_000_000 + " ms: " + what.get()), 5, 2, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            ex.shutdownNow();
        }
    }
}
