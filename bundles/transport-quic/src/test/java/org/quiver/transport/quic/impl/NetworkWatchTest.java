package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EventTopics;
import org.quiver.identity.Identities;

/**
 * A change of network, with real endpoints on loopback and the watch's view of the interfaces given by the test:
 * the endpoint probes its peer's paths at once (not at the next interval), its own address follows, and it says so.
 * What a real interface change looks like to {@link OwnAddress#directAddresses} is the lab's part.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetworkWatchTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void aChangeOfNetworkIsSeenAndEveryPathIsProbedAtOnce() throws Exception {
        AtomicReference<List<InetSocketAddress>> interfaces = new AtomicReference<>(List.of(new InetSocketAddress("127.0.0.1", 1)));
        java.util.Queue<Map<String, Object>> changes = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger relayTold = new java.util.concurrent.atomic.AtomicInteger();
        org.quiver.spi.relay.RelayProvider relayProvider = new org.quiver.spi.relay.RelayProvider() {
            @Override
            public List<java.net.URI> relays() {
                return List.of();
            }

            @Override
            public org.quiver.spi.relay.RelayLink attach(org.quiver.spi.relay.RelayContext context) {
                return new org.quiver.spi.relay.RelayLink() {
                    @Override
                    public org.quiver.api.Watchable<java.util.Optional<java.net.URI>> home() {
                        return new org.quiver.api.WatchableValue<>("home", java.util.Optional.empty());
                    }

                    @Override
                    public boolean send(org.quiver.api.EndpointId destination, java.net.URI relayHint, java.nio.ByteBuffer datagram) {
                        return false;
                    }

                    @Override
                    public void networkChanged() {
                        relayTold.incrementAndGet();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        try (QuicEndpoint b = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).handler("n/1", c -> { }).build();
             QuicEndpoint a = QuicEndpoint.builder(Identities.ephemeral()).bind(LO)
                     .relay(relayProvider) // a provider that only counts what the endpoint tells it
                     .probeInterval(Duration.ofSeconds(10)) // no regular probe during the test
                     .networkCheckInterval(Duration.ofMillis(50)).networkSource(interfaces::get)
                     .events((topic, props) -> {
                         if (topic.equals(EventTopics.NETWORK_CHANGED)) {
                             changes.add(props);
                         }
                     }).build()) {
            Blocking.await(a.connect(EndpointAddr.of(b.id(), null, List.of(b.localAddress())), "n/1"), Duration.ofSeconds(10));
            Thread.sleep(500); // the first probes of the new connection are done
            assertThat(changes).isEmpty();
            assertThat(a.lastNetworkChange()).isEmpty();
            long before = a.probeCounts()[0];

            InetSocketAddress moved = new InetSocketAddress("127.0.0.3", a.localAddress().getPort());
            long t0 = System.nanoTime();
            interfaces.set(List.of(moved)); // the old network is gone, a new one is there
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((changes.isEmpty() || a.probeCounts()[0] == before) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            long seenMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(changes).as("NETWORK_CHANGED posted once").hasSize(1);
            assertThat(changes.peek().get(EventTopics.ADDRESSES)).isEqualTo("127.0.0.3:" + moved.getPort());
            assertThat(changes.peek().get(EventTopics.PREVIOUS)).isEqualTo("127.0.0.1:1");
            assertThat(a.probeCounts()[0]).as("the peer's path probed at once, not in 10 s").isGreaterThan(before);
            assertThat(relayTold.get()).as("the relay link was told, to check its connections").isEqualTo(1);
            assertThat(seenMillis).as("seen and acted on within a few check intervals").isLessThan(2_000);
            assertThat(a.lastNetworkChange()).isPresent();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!a.addr().get().directAddresses().contains(moved) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(a.addr().get().directAddresses()).as("the own address follows").contains(moved)
                    .doesNotContain(new InetSocketAddress("127.0.0.1", 1));
            System.out.printf("network change seen and every path probed %d ms after it (check interval 50 ms)%n", seenMillis);

            // the same addresses in another order are no change
            interfaces.set(List.of(moved));
            Thread.sleep(300);
            assertThat(changes).hasSize(1);
            assertThat(relayTold.get()).isEqualTo(1);
        }
    }
}
