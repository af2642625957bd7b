package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an implementation written before a method was added gets from its default: a handler is not replay-safe (its
 * connections never see 0-RTT data), and a connection reports no resumption, no 0-RTT and an unknown key exchange.
 */
class DefaultsTest {
    @Test
    void aHandlerIsNotReplaySafeUnlessItSaysSo() {
        ProtocolHandler handler = connection -> { };
        assertThat(handler.replaySafe()).isFalse();
    }

    @Test
    void aConnectionWithoutTheNewerMethodsReportsTheSafeAnswers() {
        List<String> calls = new ArrayList<>();
        InvocationHandler h = (proxy, method, args) -> {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            calls.add(method.getName() + (args == null ? "" : List.of(args)));
            return null;
        };
        Connection c = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
        assertThat(c.keyExchange()).isEqualTo("unknown");
        assertThat(c.resumed()).isFalse();
        assertThat(c.earlyData()).isFalse();
        c.close();
        assertThat(calls).containsExactly("close[0, ]");
    }

    @Test
    void aRelayLinkWithoutNetworkChangedIgnoresItAndKeepsItsStatus() {
        List<String> calls = new ArrayList<>();
        InvocationHandler h = (proxy, method, args) -> {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            calls.add(method.getName());
            return null;
        };
        org.quiver.spi.relay.RelayLink link = (org.quiver.spi.relay.RelayLink) Proxy.newProxyInstance(
                org.quiver.spi.relay.RelayLink.class.getClassLoader(), new Class<?>[] {org.quiver.spi.relay.RelayLink.class}, h);
        link.networkChanged();
        assertThat(link.status()).isEmpty();
        assertThat(calls).as("nothing asked of the implementation").isEmpty();
    }
}
