package org.quiver.api;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/** The receiving half of a QUIC stream. */
@ProviderType
public interface RecvStream {
    /** The QUIC stream id. */
    long id();

    /**
     * The next chunk of data, in order; empty when the peer finished the stream. The buffer belongs to the
     * caller (it is a copy, never a pooled transport buffer).
     */
    CompletionStage<Optional<ByteBuffer>> read();

    /** Tells the peer to stop sending, with {@code errorCode}; data not yet read is discarded. */
    void stop(long errorCode);

    /** A blocking view for ordinary threads; {@code read} returns -1 once the peer finished the stream. */
    InputStream inputStream();
}
