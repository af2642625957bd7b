package org.quiver.transport.quic.impl;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** A connection id as a map key: compares by content. */
final class ByteBufKey {
    private final byte[] bytes;
    private final int hash;

    ByteBufKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Writes the id's bytes to {@code out}. */
    void writeTo(ByteBuf out) {
        out.writeBytes(bytes);
    }

    static ByteBufKey peek(ByteBuf buf, int index, int length) {
        byte[] b = new byte[length];
        buf.getBytes(index, b);
        return new ByteBufKey(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteBufKey && Arrays.equals(bytes, ((ByteBufKey) o).bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
