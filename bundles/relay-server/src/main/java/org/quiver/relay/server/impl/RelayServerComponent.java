package org.quiver.relay.server.impl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.relay.server.RelayCore;
import org.quiver.relay.server.RelayServer;

/**
 * Runs a relay server in the node when (and only when) {@code org.quiver.relay.server} is configured. A
 * thin adapter over {@link RelayServer}; it registers the running server as a service with the property
 * {@value #URL_PROPERTY} so that shells and tests find it.
 */
@Component(name = RelayServerComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, service = {})
@Designate(ocd = RelayServerComponent.Config.class)
public final class RelayServerComponent {
    public static final String PID = "org.quiver.relay.server";
    /** Service property of the registered {@link RelayServer}: its {@code ws://} URL. */
    public static final String URL_PROPERTY = "quiver.relay.url";

    @ObjectClassDefinition(name = "Quiver relay server", description = "A relay for nodes that cannot reach each other directly")
    public @interface Config {
        @AttributeDefinition(name = "Bind address", description = "Address of the relay's WebSocket and STUN sockets")
        String bindAddress() default "0.0.0.0";

        @AttributeDefinition(name = "Port", description = "TCP port of ws://host:port/relay; 0 picks a free one")
        int port() default 3340;

        @AttributeDefinition(name = "STUN port", description = "UDP port of the STUN Binding responder (the port above it answers too); -1 for none")
        int stunPort() default 3478;

        @AttributeDefinition(name = "Max clients", description = "Clients connected at once; more are refused")
        int maxClients() default 10_000;

        @AttributeDefinition(name = "Queue per client (datagrams)", description = "A slow client loses its oldest datagrams beyond"
                + " this; 1024 for a relay whose rate limit is lifted (at hundreds of MB/s QUIC's bursts overflow 512)")
        int queueFrames() default 512;

        @AttributeDefinition(name = "Rate per client (bytes/s)", description = "Datagram bytes one client may send per second")
        long bytesPerSecond() default 4L << 20;

        @AttributeDefinition(name = "Threads", description = "Event loop threads; 0: half the machine's cores, at least 1")
        int threads() default 0;

        @AttributeDefinition(name = "TLS certificate chain", description = "PEM file; with the key, the relay serves wss:// (empty: ws://)")
        String tlsCertificate() default "";

        @AttributeDefinition(name = "TLS private key", description = "PEM (PKCS#8) file of the certificate's key")
        String tlsKey() default "";

        @AttributeDefinition(name = "Names", description = "host:port as clients' relay URLs give it (relay.example.com:443), when it is"
                + " not one of the relay's own IP addresses and port (behind a proxy, a NAT, or a DNS name): a login is accepted only"
                + " for a name of this relay")
        String[] names() default {};
    }

    private final RelayServer server;
    private final ServiceRegistration<RelayServer> registration;
    private final ServiceRegistration<org.quiver.spi.relay.RelayServerInfo> infoRegistration;

    @Activate
    public RelayServerComponent(BundleContext context, Config config) throws IOException {
        if (config.port() < 0 || config.port() > 65535 || config.stunPort() < -1 || config.stunPort() > 65535) {
            throw new IllegalArgumentException(PID + ": port " + config.port() + " / stunPort " + config.stunPort() + " out of range");
        }
        InetAddress bind = InetAddress.getByName(config.bindAddress().strip());
        RelayCore.Limits limits = new RelayCore.Limits(config.maxClients(), config.queueFrames(), config.bytesPerSecond(),
                Math.max(2 * config.bytesPerSecond(), 1 << 17));
        InetSocketAddress ws = new InetSocketAddress(bind, config.port());
        String cert = config.tlsCertificate() == null ? "" : config.tlsCertificate().strip();
        String key = config.tlsKey() == null ? "" : config.tlsKey().strip();
        if (cert.isEmpty() != key.isEmpty()) {
            throw new IllegalArgumentException(PID + ": tlsCertificate and tlsKey go together");
        }
        RelayServer.Tls tls = cert.isEmpty() ? null : new RelayServer.Tls(java.nio.file.Path.of(cert), java.nio.file.Path.of(key));
        server = RelayServer.start(new RelayServer.Config(ws, config.stunPort() < 0 ? null : new InetSocketAddress(bind, config.stunPort()),
                limits, RelayServer.KEEPALIVE, tls, config.names() == null ? java.util.List.of()
                : java.util.Arrays.stream(config.names()).map(String::strip).filter(n -> !n.isEmpty()).toList(), config.threads()));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(URL_PROPERTY, server.url());
        org.quiver.spi.relay.RelayServerInfo info = new org.quiver.spi.relay.RelayServerInfo() {
            @Override
            public String url() {
                return server.url();
            }

            @Override
            public String stunAddress() {
                InetSocketAddress a = server.stunAddress();
                return a == null ? "" : a.getAddress().getHostAddress() + ":" + a.getPort();
            }

            @Override
            public String status() {
                RelayCore.Stats s = server.core().stats();
                long[] stun = server.stunCounts();
                return s.authenticated() + " clients (" + s.sessions() + " connected), " + s.forwarded() + " datagrams forwarded, "
                        + s.dropped() + " dropped, " + s.refused() + " clients refused"
                        + " (" + server.perAddressRefused() + " over the per-IP cap, " + server.upgradeTimeouts() + " upgrade timeouts, "
                        + server.core().wrongRelayLogins() + " logins for another relay, " + server.core().pingsDropped() + " pings over budget)"
                        + (server.stunAddress() == null ? "" : ", STUN " + stun[0] + " answered / " + stun[1] + " dropped / "
                        + server.stunLimited() + " over budget");
            }
        };
        // the server for Java users, its status for shells
        registration = context.registerService(RelayServer.class, server, props);
        infoRegistration = context.registerService(org.quiver.spi.relay.RelayServerInfo.class, info, props);
    }

    @Deactivate
    void deactivate() {
        server.close(); // first: once the service is gone, so is the relay and its ports are free
        infoRegistration.unregister();
        registration.unregister();
    }
}
