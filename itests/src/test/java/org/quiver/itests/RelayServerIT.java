package org.quiver.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.protocol.Codec;
import org.quiver.relay.protocol.RelayFrame;
import org.quiver.relay.server.RelayServer;

/**
 * The relay server bundle in Felix: it runs only once {@code org.quiver.relay.server} is configured, serves
 * authenticated clients over WebSocket, and stops (freeing its port) when the configuration is deleted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RelayServerIT {
    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-relay");
    }

    private String relayUrl(boolean expectRunning) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            ServiceReference<RelayServer> ref = context.getServiceReference(RelayServer.class);
            if ((ref != null) == expectRunning) {
                return ref == null ? null : (String) ref.getProperty("quiver.relay.url");
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the relay server did not " + (expectRunning ? "start" : "stop"));
    }

    @Test
    public void runsWhenConfiguredServesClientsAndStopsWhenTheConfigurationGoes() throws Exception {
        assertNull("no relay until one is configured", context.getServiceReference(RelayServer.class));
        org.osgi.service.cm.Configuration cfg = configAdmin.getConfiguration("org.quiver.relay.server", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("bindAddress", "127.0.0.1");
        props.put("port", 0);
        props.put("stunPort", -1);
        cfg.update(props);
        String url = relayUrl(true);
        assertTrue(url, url.startsWith("ws://127.0.0.1:"));

        LinkedBlockingQueue<RelayFrame> in = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                try {
                    in.add(Codec.decode(data));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                webSocket.request(1);
                return null;
            }
        }).join();
        LocalIdentity me = Identities.ephemeral();
        RelayFrame.ServerChallenge challenge = (RelayFrame.ServerChallenge) in.poll(10, TimeUnit.SECONDS);
        assertNotNull("the challenge", challenge);
        String name = RelayFrame.ClientAuth.authority(URI.create(url));
        ws.sendBinary(Codec.encode(new RelayFrame.ClientAuth(me.id(), name, me.sign(RelayFrame.ClientAuth.signedMessage(challenge.challenge(), name)))), true).join();
        assertEquals(new RelayFrame.ServerConfirmsAuth(), in.poll(10, TimeUnit.SECONDS));
        ws.sendBinary(Codec.encode(new RelayFrame.Ping(77)), true).join();
        assertEquals(new RelayFrame.Pong(77), in.poll(10, TimeUnit.SECONDS));

        int port = URI.create(url).getPort();
        cfg.delete();
        relayUrl(false);
        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertEquals("the port is free again", port, again.getLocalPort());
        }
    }
}
