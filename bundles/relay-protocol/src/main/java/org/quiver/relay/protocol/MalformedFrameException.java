package org.quiver.relay.protocol;

/** Bytes that are not a relay frame; says what is wrong, never echoes the bytes. */
public final class MalformedFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedFrameException(String message) {
        super(message);
    }
}
