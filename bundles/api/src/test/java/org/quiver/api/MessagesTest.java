package org.quiver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class MessagesTest {
    private static byte[] bytes(ByteBuffer... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer f : frames) {
            out.write(f.array(), f.position(), f.remaining());
        }
        return out.toByteArray();
    }

    @Test
    void framesReadBackInOrderThenNull() throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(bytes(Messages.frame(new byte[] {1, 2}), Messages.frame(new byte[0]),
                Messages.frame(new byte[] {3})));
        assertThat(Messages.read(in)).containsExactly(1, 2);
        assertThat(Messages.read(in)).isEmpty();
        assertThat(Messages.read(in)).containsExactly(3);
        assertThat(Messages.read(in)).isNull();
    }

    @Test
    void truncatedAndOversizedMessagesAreClearErrors() {
        byte[] whole = bytes(Messages.frame(new byte[10]));
        assertThatThrownBy(() -> Messages.read(new ByteArrayInputStream(whole, 0, 2))).isInstanceOf(EOFException.class)
                .hasMessageContaining("length prefix");
        assertThatThrownBy(() -> Messages.read(new ByteArrayInputStream(whole, 0, 8))).isInstanceOf(EOFException.class)
                .hasMessageContaining("4 of 10");
        assertThatThrownBy(() -> Messages.read(new ByteArrayInputStream(whole), 9)).isInstanceOf(QuiverException.class)
                .hasMessageContaining("10 bytes").hasMessageContaining("9");
        byte[] huge = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> Messages.read(new ByteArrayInputStream(huge))).hasMessageContaining("4294967295 bytes");
    }
}
