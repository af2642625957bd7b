package org.quiver.api;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/** The sending half of a QUIC stream. */
@ProviderType
public interface SendStream {
    /** The QUIC stream id. */
    long id();

    /**
     * Queues {@code data} (copied before this returns). The stage completes when the transport has taken
     * it under flow control; wait for it before writing more to apply back-pressure.
     */
    CompletionStage<Void> write(ByteBuffer data);

    /** Ends the stream after everything written so far has been sent; never truncates it. */
    CompletionStage<Void> finish();

    /** Abandons the stream: unsent data is discarded and the peer sees {@code errorCode}. */
    void reset(long errorCode);

    /**
     * A blocking view for ordinary threads: {@code write} blocks under back-pressure, {@code close()}
     * finishes the stream and waits until its end was accepted.
     */
    OutputStream outputStream();
}
