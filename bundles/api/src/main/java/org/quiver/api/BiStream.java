package org.quiver.api;

import org.osgi.annotation.versioning.ProviderType;

/** A bidirectional QUIC stream: a send half and a receive half with the same id. */
@ProviderType
public interface BiStream {
    long id();

    SendStream send();

    RecvStream recv();
}
