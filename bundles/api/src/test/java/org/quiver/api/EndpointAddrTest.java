package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EndpointAddrTest {
    private final EndpointId id = Keys.randomId();
    private final InetSocketAddress a = new InetSocketAddress("127.0.0.1", 1000);
    private final InetSocketAddress b = new InetSocketAddress("::1", 2000);

    @Test
    void idOnlyHasNoRoute() {
        EndpointAddr addr = EndpointAddr.of(id);
        assertThat(addr.hasRoute()).isFalse();
        assertThat(addr.relayUrl()).isEmpty();
        assertThat(addr.directAddresses()).isEmpty();
        assertThat(addr.toString()).isEqualTo("EndpointAddr{" + id + "}");
    }

    @Test
    void keepsOrderAndDropsDuplicates() {
        EndpointAddr addr = EndpointAddr.of(id, null, List.of(b, a, b));
        assertThat(addr.directAddresses()).containsExactly(b, a);
        assertThat(addr.hasRoute()).isTrue();
        assertThat(addr.withRelayUrl(URI.create("http://r.example/")).hasRoute()).isTrue();
        assertThat(addr.withRelayUrl(URI.create("ws://r.example:3340/relay")).relayUrl()).contains(URI.create("ws://r.example:3340/relay"));
    }

    @Test
    void rejectsBadInputClearly() {
        assertThatThrownBy(() -> EndpointAddr.of(id, null, List.of(InetSocketAddress.createUnresolved("host", 1))))
                .hasMessageContaining("unresolved");
        assertThatThrownBy(() -> EndpointAddr.of(id, null, List.of(new InetSocketAddress("127.0.0.1", 0))))
                .hasMessageContaining("no port");
        assertThatThrownBy(() -> EndpointAddr.of(id, URI.create("relay.example"), List.of()))
                .hasMessageContaining("absolute ws://, wss://, http:// or https://");
        assertThatThrownBy(() -> EndpointAddr.of(id, URI.create("https://x/" + "a".repeat(2000)), List.of()))
                .hasMessageContaining("at most 1024 bytes");
        List<InetSocketAddress> many = new ArrayList<>();
        for (int i = 1; i <= 33; i++) {
            many.add(new InetSocketAddress("127.0.0.1", i));
        }
        assertThatThrownBy(() -> EndpointAddr.of(id, null, many)).hasMessageContaining("At most 32");
    }

    @Test
    void mergeUnionsAddressesAndPrefersTheNewerRelay() {
        URI r1 = URI.create("https://one.example/");
        URI r2 = URI.create("https://two.example/");
        EndpointAddr x = EndpointAddr.of(id, r1, List.of(a));
        EndpointAddr y = EndpointAddr.of(id, r2, List.of(b, a));
        EndpointAddr merged = x.merge(y);
        assertThat(merged.relayUrl()).contains(r2);
        assertThat(merged.directAddresses()).containsExactly(a, b);
        assertThat(x.merge(EndpointAddr.of(id)).relayUrl()).contains(r1);
        assertThatThrownBy(() -> x.merge(EndpointAddr.of(Keys.randomId()))).hasMessageContaining("different endpoints");
        assertThat(merged).isEqualTo(EndpointAddr.of(id, r2, List.of(a, b))).hasSameHashCodeAs(EndpointAddr.of(id, r2, List.of(a, b)));
        assertThat(merged).isNotEqualTo(x).isNotEqualTo("x");
        assertThat(merged.toString()).contains("relay=https://two.example/").contains("direct=");
        assertThat(merged.withDirectAddresses(List.of()).directAddresses()).isEmpty();
    }

    @Test
    void valueRecordsValidateAndPrint() {
        PathInfo path = new PathInfo(PathKind.DIRECT, "198.18.0.2:4433", Optional.of(Duration.ofNanos(1_500_000)));
        assertThat(path.toString()).isEqualTo("direct 198.18.0.2:4433 rtt=1.50ms");
        assertThat(new PathInfo(PathKind.RELAY, "https://r/", Optional.empty()).toString()).isEqualTo("relay https://r/");
        assertThatThrownBy(() -> new PathInfo(null, "x", Optional.empty())).isInstanceOf(NullPointerException.class);
        assertThat(new CloseInfo(CloseInfo.Cause.PEER, 7, "bye").code()).isEqualTo(7);
        assertThatThrownBy(() -> new CloseInfo(CloseInfo.Cause.PEER, 7, null)).isInstanceOf(NullPointerException.class);
    }
}
