package org.quiver.relay.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/** wss:// relays: a certificate made by openssl, trusted or not, for the right host name or not. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsRelayTest {
    private static final RelayClient.Options QUICK = new RelayClient.Options(Duration.ofMillis(200), Duration.ofMillis(50),
            Duration.ofMillis(300), Duration.ofSeconds(5), 1 << 20);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A self-signed certificate for {@code ip} and its key, as PEM files (openssl, as an operator would make them). */
    private RelayServer.Tls certificate(String name, String ip) throws Exception {
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=quiver-relay-test", "-addext", "subjectAltName=IP:" + ip,
                "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        return new RelayServer.Tls(cert, key);
    }

    private RelayClient client(RelayServer server, RelayClient.Options options) {
        LocalIdentity id = Identities.ephemeral();
        return new RelayClient(URI.create(server.url()), id.id(), id::sign, (v, s, d) -> { }, group.next(), options).start();
    }

    private static void await(RelayClient c, java.util.function.Predicate<RelayClient> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.test(c) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    void aTrustedCertificateConnectsAnUntrustedOrMisnamedOneDoesNot() throws Exception {
        RelayServer.Tls good = certificate("good", "127.0.0.1");
        RelayServer.Tls misnamed = certificate("misnamed", "127.0.0.2");
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RelayServer server = RelayServer.start(new RelayServer.Config(lo, null, RelayCore.Limits.DEFAULT, RelayServer.KEEPALIVE, good));
             RelayServer wrongName = RelayServer.start(new RelayServer.Config(lo, null, RelayCore.Limits.DEFAULT, RelayServer.KEEPALIVE, misnamed))) {
            assertThat(server.url()).startsWith("wss://127.0.0.1:");

            RelayClient trusted = client(server, QUICK.withTrust(List.of(good.certificateChain())));
            await(trusted, c -> c.state().get() == RelayClient.State.CONNECTED);
            assertThat(trusted.state().get()).as(trusted.lastProblem()).isEqualTo(RelayClient.State.CONNECTED);
            await(trusted, c -> c.latency().isPresent());
            assertThat(trusted.latency()).isPresent();

            RelayClient untrusted = client(server, QUICK);
            await(untrusted, c -> c.counts()[4] >= 2);
            assertThat(untrusted.state().get()).isNotEqualTo(RelayClient.State.CONNECTED);
            assertThat(untrusted.lastProblem()).containsAnyOf("PKIX", "certificate", "trust");

            RelayClient misnamedHost = client(wrongName, QUICK.withTrust(List.of(misnamed.certificateChain())));
            await(misnamedHost, c -> c.counts()[4] >= 2);
            assertThat(misnamedHost.state().get()).as("the certificate names 127.0.0.2").isNotEqualTo(RelayClient.State.CONNECTED);
            assertThat(misnamedHost.lastProblem()).containsAnyOf("127.0.0.1", "subject alternative", "No subject");

            RelayClient badTrust = client(server, QUICK.withTrust(List.of(dir.resolve("none.pem"))));
            await(badTrust, c -> c.counts()[4] >= 1);
            assertThat(badTrust.lastProblem()).startsWith("TLS: ");
            assertThat(server.core().stats().authenticated()).isEqualTo(1);
            for (RelayClient c : List.of(trusted, untrusted, misnamedHost, badTrust)) {
                c.close();
            }
        }
    }

    @Test
    void theProviderCarriesDatagramsOverWss() throws Exception {
        RelayServer.Tls good = certificate("relay", "127.0.0.1");
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RelayServer server = RelayServer.start(new RelayServer.Config(lo, null, RelayCore.Limits.DEFAULT, RelayServer.KEEPALIVE, good));
             DefaultRelayProvider p = new DefaultRelayProvider(List.of(URI.create(server.url())), QUICK.withTrust(List.of(good.certificateChain())))) {
            LinkedBlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            LocalIdentity a = Identities.ephemeral();
            LocalIdentity b = Identities.ephemeral();
            var la = p.attach(context(a, d -> { }));
            var lb = p.attach(context(b, got::add));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                la.send(b.id(), null, java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
                Thread.sleep(50);
            }
            assertThat(got.poll()).containsExactly(1, 2, 3);
            la.close();
            lb.close();
        }
    }

    private static org.quiver.spi.relay.RelayContext context(LocalIdentity id, java.util.function.Consumer<byte[]> sink) {
        return new org.quiver.spi.relay.RelayContext() {
            @Override
            public org.quiver.api.EndpointId localId() {
                return id.id();
            }

            @Override
            public byte[] sign(byte[] challenge) {
                return id.sign(challenge);
            }

            @Override
            public void deliver(org.quiver.api.EndpointId source, java.nio.ByteBuffer datagram) {
                byte[] d = new byte[datagram.remaining()];
                datagram.get(d);
                sink.accept(d);
            }
        };
    }
}
