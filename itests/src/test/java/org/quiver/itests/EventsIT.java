package org.quiver.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
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
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EventTopics;
import org.quiver.identity.Identities;
import org.quiver.transport.quic.QuicEndpoints;

/**
 * The node's structured events, as an OSGi application sees them: an EventHandler subscribed to
 * {@code org/quiver/*} gets a connection's OPENED and CLOSED events with typed properties, and a DROPPED
 * event for a message the pending buffer could not keep.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EventsIT {
    private static final String ALPN = "it/events/1";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-events");
    }

    private static Event next(LinkedBlockingQueue<Event> q, String topic, String peer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Event e = q.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && e.getTopic().equals(topic) && peer.equals(e.getProperty(EventTopics.PEER_ID))) {
                return e;
            }
        }
        throw new AssertionError("no " + topic + " event for " + peer);
    }

    @Test
    public void connectionAndBufferEventsReachAnEventHandler() throws Exception {
        Endpoint node = NodeBundles.loopbackEndpoint(context);
        assertNotNull("the node's Endpoint service, bound to loopback", node);
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, "org/quiver/*");
        ServiceRegistration<EventHandler> handler = context.registerService(EventHandler.class, events::add, props);
        Dictionary<String, Object> alpn = new Hashtable<>();
        alpn.put(org.quiver.api.ProtocolHandler.ALPN_PROPERTY, ALPN);
        ServiceRegistration<org.quiver.api.ProtocolHandler> app = context.registerService(org.quiver.api.ProtocolHandler.class, c -> { }, alpn);
        Endpoint other = QuicEndpoints.create(Identities.ephemeral(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of());
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Connection c = Blocking.await(other.connect(node.addr().get(), ALPN), Duration.ofSeconds(10));
            Event opened = next(events, EventTopics.CONNECTION_OPENED, other.id().toString());
            assertEquals(node.id().toString(), opened.getProperty(EventTopics.ENDPOINT_ID));
            assertEquals(ALPN, opened.getProperty(EventTopics.ALPN));
            assertEquals(Boolean.FALSE, opened.getProperty(EventTopics.DIALER));
            assertEquals("DIRECT", opened.getProperty(EventTopics.PATH_KIND));

            c.close(3, "bye");
            Event closed = next(events, EventTopics.CONNECTION_CLOSED, other.id().toString());
            assertEquals("PEER", closed.getProperty(EventTopics.CAUSE));
            assertEquals(3L, closed.getProperty(EventTopics.CODE));
            assertEquals("bye", closed.getProperty(EventTopics.REASON));

            // 101 messages for a peer that never answers: the buffer keeps 100, the first is dropped
            EndpointAddr nowhere = EndpointAddr.of(Identities.ephemeral().id(), null, List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            for (int i = 0; i < 101; i++) {
                node.send(nowhere, ALPN, new byte[] {(byte) i});
            }
            Event dropped = next(events, EventTopics.BUFFER_DROPPED, nowhere.id().toString());
            assertEquals("OVERFLOW", dropped.getProperty(EventTopics.REASON));
            assertEquals(1L, dropped.getProperty(EventTopics.BYTES));
        } finally {
            other.close();
            app.unregister();
            handler.unregister();
        }
    }
}
