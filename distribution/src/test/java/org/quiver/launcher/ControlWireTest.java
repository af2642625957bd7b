package org.quiver.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ControlWireTest {
    private static ControlWire.Request read(byte[] b) throws IOException {
        return ControlWire.readRequest(new ByteArrayInputStream(b));
    }

    private static byte[] request(int count, int... lengths) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put(ControlWire.MAGIC).putShort((short) count);
        for (int l : lengths) {
            b.putInt(l);
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void aRequestComesBackAsSent() throws IOException {
        ControlWire.Request r = new ControlWire.Request(List.of("quiver:id; quiver:addr", "quiver:sendfile x ünïcødé.bin"), Path.of("/tmp/a b"));
        assertThat(read(ControlWire.encode(r))).isEqualTo(r);
    }

    @Test
    void whatIsNotARequestIsRefusedWithItsReason() {
        assertThatThrownBy(() -> read("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).isInstanceOf(IOException.class)
                .hasMessage("not a Quiver control request");
        assertThatThrownBy(() -> read(request(0))).hasMessageContaining("1 to 256 commands per request, not 0");
        assertThatThrownBy(() -> read(request(257))).hasMessageContaining("not 257");
        assertThatThrownBy(() -> read(request(1, -1))).hasMessageContaining("longer than 256 KiB");
        assertThatThrownBy(() -> read(request(1, Integer.MAX_VALUE))).hasMessageContaining("longer than 256 KiB");
        assertThatThrownBy(() -> read(request(1, 10))).isInstanceOf(IOException.class).hasMessageContaining("ended early");
        // two texts each under the limit, together over it
        ByteBuffer two = ByteBuffer.allocate(4 + 2 + 4 + 200 * 1024 + 4);
        two.put(ControlWire.MAGIC).putShort((short) 2).putInt(200 * 1024).put(new byte[200 * 1024]).putInt(200 * 1024);
        assertThatThrownBy(() -> read(two.array())).hasMessageContaining("longer than 256 KiB");
    }

    @Test
    void textThatIsNotUtf8AndAFolderThatIsNotAbsoluteAreRefused() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(request(1, 2));
        b.writeBytes(new byte[] {(byte) 0xc3, (byte) 0x28});
        assertThatThrownBy(() -> read(b.toByteArray())).hasMessage("the request is not UTF-8");
        byte[] relative = ControlWire.encode(new ControlWire.Request(List.of("quiver:id"), Path.of("relative/dir")));
        assertThatThrownBy(() -> read(relative)).hasMessageContaining("not an absolute path: relative/dir");
    }

    @Test
    void theClientCannotSendMoreThanTheNodeTakes() {
        assertThatThrownBy(() -> ControlWire.encode(new ControlWire.Request(List.of("x".repeat(300 * 1024)), Path.of("/"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 256 KiB");
        assertThatThrownBy(() -> ControlWire.encode(new ControlWire.Request(Collections.nCopies(257, "x"), Path.of("/"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void framesComeBackAsWrittenAndBrokenOnesAreNamed() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] text = "hello\n".getBytes(StandardCharsets.UTF_8);
        ControlWire.writeFrame(b, ControlWire.OUT, text, 0, text.length);
        ControlWire.writeFrame(b, ControlWire.ERR, text, 1, 2);
        ControlWire.writeExit(b, 259);
        ByteArrayInputStream in = new ByteArrayInputStream(b.toByteArray());
        assertThat(new String(ControlWire.readFrame(in).bytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(ControlWire.readFrame(in).bytes()).containsExactly('e', 'l');
        ControlWire.Frame exit = ControlWire.readFrame(in);
        assertThat(exit.kind()).isEqualTo(ControlWire.EXIT);
        assertThat(exit.status()).isEqualTo(259);
        assertThat(ControlWire.readFrame(in)).as("the clean end").isNull();

        assertThatThrownBy(() -> ControlWire.readFrame(new ByteArrayInputStream(new byte[] {'z', 0, 0, 0, 1, 0})))
                .hasMessage("unknown frame kind 122");
        assertThatThrownBy(() -> ControlWire.readFrame(new ByteArrayInputStream(new byte[] {'o', 0, 1, 0, 1})))
                .hasMessageContaining("with 65537 bytes");
        assertThatThrownBy(() -> ControlWire.readFrame(new ByteArrayInputStream(new byte[] {'x', 0, 0, 0, 2, 0, 0})))
                .hasMessageContaining("'x' with 2 bytes");
        assertThatThrownBy(() -> ControlWire.readFrame(new ByteArrayInputStream(new byte[] {'o', 0, 0, 0, 9, 1})))
                .isInstanceOf(IOException.class);
    }

    /** Random and mutated requests: a request or an IOException, never anything else, and no allocation beyond the limit. */
    @Test
    void fuzzedRequestsAreReadOrRefused() {
        Random random = new Random(20261202);
        byte[] valid = ControlWire.encode(new ControlWire.Request(List.of("quiver:id", "quiver:addr"), Path.of("/tmp")));
        int read = 0;
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = valid.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                if (random.nextBoolean()) {
                    b = java.util.Arrays.copyOf(b, random.nextInt(b.length + 1));
                }
            } else {
                b = new byte[random.nextInt(64)];
                random.nextBytes(b);
            }
            try {
                ControlWire.Request r = read(b);
                assertThat(r.commands()).isNotEmpty();
                assertThat(r.cwd().isAbsolute()).isTrue();
                read++;
            } catch (IOException e) {
                assertThat(e.getMessage()).isNotBlank();
                refused++;
            }
        }
        assertThat(read).as("some mutations still make requests").isPositive();
        assertThat(refused).isPositive();
    }
}
