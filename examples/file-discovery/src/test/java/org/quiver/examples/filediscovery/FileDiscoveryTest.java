package org.quiver.examples.filediscovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;
import org.quiver.identity.Identities;
import org.quiver.spi.discovery.DiscoveryItem;
import org.quiver.spi.discovery.DiscoveryListener;

class FileDiscoveryTest {
    @TempDir
    Path dir;

    private final List<DiscoveryItem> found = new ArrayList<>();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicReference<Throwable> failed = new AtomicReference<>();
    private final DiscoveryListener listener = new DiscoveryListener() {
        @Override
        public void found(DiscoveryItem item) {
            found.add(item);
        }

        @Override
        public void completed() {
            completed.incrementAndGet();
        }

        @Override
        public void failed(Throwable cause) {
            failed.set(cause);
        }
    };

    @Test
    void aPeersTicketFileIsAConfiguredResultAndEveryOtherCaseAnswersOnce() throws Exception {
        FileDiscovery d = new FileDiscovery(dir);
        EndpointId peer = Identities.ephemeral().id();
        EndpointAddr addr = EndpointAddr.of(peer, null, List.of(new InetSocketAddress("127.0.0.1", 4433)));

        d.resolve(peer, listener).cancel(); // no file: completed, nothing found
        assertThat(found).isEmpty();
        assertThat(completed.get()).isEqualTo(1);

        Files.writeString(dir.resolve(peer + ".ticket"), addr.toTicket() + "\n");
        d.resolve(peer, listener);
        assertThat(found).singleElement().satisfies(i -> {
            assertThat(i.addr()).isEqualTo(addr);
            assertThat(i.configured()).as("the operator's word: never stale").isTrue();
            assertThat(i.provider()).isEqualTo("files");
        });
        assertThat(completed.get()).isEqualTo(2);

        // a file holding another peer's ticket is an error, not a result
        EndpointId other = Identities.ephemeral().id();
        Files.writeString(dir.resolve(other + ".ticket"), addr.toTicket());
        d.resolve(other, listener);
        assertThat(failed.get()).hasMessageContaining("holds the ticket of " + peer.shortString());
        assertThat(found).hasSize(1);
    }

    @Test
    void theComponentReadsThePeersFolderOfTheNodesHome() throws Exception {
        org.osgi.framework.BundleContext context = (org.osgi.framework.BundleContext) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.osgi.framework.BundleContext.class},
                (proxy, method, args) -> method.getName().equals("getProperty") && "quiver.home".equals(args[0]) ? dir.toString() : null);
        FileDiscoveryComponent c = new FileDiscoveryComponent(context);
        EndpointId peer = Identities.ephemeral().id();
        Files.createDirectories(dir.resolve("peers"));
        Files.writeString(dir.resolve("peers").resolve(peer + ".ticket"), EndpointAddr.of(peer).toTicket());
        c.resolve(peer, listener);
        assertThat(found).singleElement().satisfies(i -> assertThat(i.addr().id()).isEqualTo(peer));
        // a ticket file too large to be one is refused without reading it
        EndpointId big = Identities.ephemeral().id();
        Files.write(dir.resolve("peers").resolve(big + ".ticket"), new byte[FileDiscovery.MAX_BYTES + 1]);
        c.resolve(big, listener);
        assertThat(failed.get()).hasMessageContaining("larger than a ticket");
    }
}
