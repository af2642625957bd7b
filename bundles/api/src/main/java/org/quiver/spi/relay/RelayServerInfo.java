package org.quiver.spi.relay;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A relay server running in this node, as shells and monitoring see it (registered by the relay server
 * bundle while it runs).
 */
@ProviderType
public interface RelayServerInfo {
    /** Where clients connect: {@code ws://host:port/relay}. */
    String url();

    /** The STUN responder's UDP address ({@code host:port}), or empty when there is none. */
    String stunAddress();

    /** One line: clients connected and authenticated, datagrams forwarded, dropped, clients refused. */
    String status();
}
