package org.quiver.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * The distribution's bundle set in a real Felix container: everything resolves and starts, every Quiver
 * component is satisfied, the shell answers, and configuration reaches the components.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NodeIT {
    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor commands;

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() throws Exception {
        return NodeBundles.containerOptions("quiver-it-home");
    }

    @Test
    public void everyBundleOfTheDistributionIsActive() {
        List<String> notActive = new ArrayList<>();
        int quiver = 0;
        for (Bundle b : context.getBundles()) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            if (b.getState() != Bundle.ACTIVE) {
                notActive.add(b.getSymbolicName() + " (state " + b.getState() + ")");
            }
            if (b.getSymbolicName().startsWith("org.quiver.")) {
                quiver++;
            }
        }
        assertTrue("bundles not active: " + notActive, notActive.isEmpty());
        assertEquals("Quiver bundles in the container (api, identity, path, metrics, relay-protocol, relay-server, relay-client,"
                + " discovery-static, discovery-dns, discovery-mdns, transport-quic, shell)", 12, quiver);
    }

    @Test
    public void everyQuiverComponentIsSatisfied() {
        Collection<ComponentDescriptionDTO> descriptions = scr.getComponentDescriptionDTOs();
        List<String> names = new ArrayList<>();
        for (ComponentDescriptionDTO d : descriptions) {
            if (!d.bundle.symbolicName.startsWith("org.quiver.")) {
                continue;
            }
            names.add(d.name);
            assertTrue(d.name + " is enabled", scr.isComponentEnabled(d));
            if ("require".equals(d.configurationPolicy)) {
                continue; // runs only once configured (the relay server): nothing to check without a configuration
            }
            Collection<ComponentConfigurationDTO> configs = scr.getComponentConfigurationDTOs(d);
            assertFalse(d.name + " has a configuration", configs.isEmpty());
            String waitsFor = Map.of("org.quiver.relay.client.provider", "Relay",
                    "org.quiver.discovery.static.provider", "Peer").get(d.name);
            if (waitsFor != null) {
                // present only while a relay (org.quiver.relay.client-*.cfg) or a static peer
                // (org.quiver.discovery.static-*.cfg) is configured: none is here
                for (ComponentConfigurationDTO c : configs) {
                    assertEquals(d.name + " waits for its configuration", ComponentConfigurationDTO.UNSATISFIED_REFERENCE, c.state);
                    assertEquals(waitsFor, c.unsatisfiedReferences[0].name);
                }
                continue;
            }
            for (ComponentConfigurationDTO c : configs) {
                assertTrue(d.name + " is satisfied or active (state " + c.state + ", failure " + c.failure + ")",
                        c.state == ComponentConfigurationDTO.SATISFIED || c.state == ComponentConfigurationDTO.ACTIVE);
            }
        }
        assertTrue("components found: " + names,
                names.containsAll(List.of("org.quiver.identity", "org.quiver.shell", "org.quiver.endpoint",
                        "org.quiver.path.selector")));
    }

    @Test
    public void shellAnswersQuiverIdAndAddr() throws Exception {
        LocalIdentity identity = identity();
        ServiceTracker<Endpoint, Endpoint> endpoints = new ServiceTracker<>(context, Endpoint.class, null);
        endpoints.open();
        Endpoint endpoint = endpoints.waitForService(10_000);
        endpoints.close();
        assertNotNull("the Endpoint service", endpoint);
        assertEquals(identity.id(), endpoint.id());
        // another test of this class may have just reconfigured the identity: the shell sees it again shortly
        String id = executeWhenReady("quiver:id");
        assertEquals(identity.id().toString(), id);
        assertEquals(EndpointId.parse(id), identity.id());
        EndpointAddr addr = EndpointAddr.fromTicket(execute("quiver:addr"));
        assertEquals(identity.id(), addr.id());
        assertFalse("the endpoint's addresses are in the ticket", addr.directAddresses().isEmpty());
        // the identity bundle wrote the key into the node's folder
        Path keyFile = Path.of(context.getProperty("quiver.home"), "identity.key");
        assertTrue(keyFile + " exists", Files.isRegularFile(keyFile));
    }

    @Test
    public void configurationMovesTheIdentityToAnotherKeyFile() throws Exception {
        EndpointId before = identity().id();
        Path other = Files.createTempDirectory("quiver-it-key").resolve("other.key");
        org.osgi.service.cm.Configuration config = configAdmin.getConfiguration("org.quiver.identity", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("keyFile", other.toString());
        try {
            config.update(props);
            EndpointId after = awaitIdentityOtherThan(before);
            assertNotEquals(before, after);
            assertTrue(other + " was created", Files.isRegularFile(other));
            assertEquals(after.toString(), awaitOutput("quiver:id", after.toString()));
        } finally {
            config.delete();
        }
        // without the configuration it is back on the node folder's key
        assertEquals(before, awaitIdentityOtherThan(after(other)));
    }

    /** The id in the other key file, read back through the service after the configuration is gone. */
    private EndpointId after(Path other) throws Exception {
        return org.quiver.identity.Identities.loadOrCreate(other).id();
    }

    private EndpointId awaitIdentityOtherThan(EndpointId previous) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ServiceReference<LocalIdentity> ref = context.getServiceReference(LocalIdentity.class);
            if (ref != null) {
                LocalIdentity current = context.getService(ref);
                try {
                    if (current != null && !current.id().equals(previous)) {
                        return current.id();
                    }
                } finally {
                    context.ungetService(ref);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the identity did not change from " + previous + " within 10 s");
    }

    private LocalIdentity identity() throws InterruptedException {
        ServiceTracker<LocalIdentity, LocalIdentity> tracker = new ServiceTracker<>(context, LocalIdentity.class, null);
        tracker.open();
        try {
            LocalIdentity identity = tracker.waitForService(5000);
            assertNotNull("LocalIdentity service", identity);
            return identity;
        } finally {
            tracker.close();
        }
    }

    /** Runs {@code command} until it prints {@code expected} (services rebind asynchronously), at most 10 s. */
    private String awaitOutput(String command, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = execute(command);
                if (expected.equals(last)) {
                    return last;
                }
            } catch (IllegalStateException rebinding) {
                last = rebinding.getMessage();
            }
            Thread.sleep(20);
        }
        return last;
    }

    /** {@link #execute}, retried for up to 10 s while the shell says a service it needs is not there yet. */
    private String executeWhenReady(String command) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return execute(command);
            } catch (IllegalStateException notYet) {
                if (System.nanoTime() > deadline || !notYet.getMessage().startsWith("This node has no")) {
                    throw notYet;
                }
                Thread.sleep(50);
            }
        }
    }

    private String execute(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession session = commands.createSession(new java.io.ByteArrayInputStream(new byte[0]), print, print)) {
            Object result = session.execute(command);
            assertNotNull(command + " returned a result", result);
            return result.toString();
        }
    }
}
