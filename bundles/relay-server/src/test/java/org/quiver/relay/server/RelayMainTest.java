package org.quiver.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RelayMainTest {
    @Test
    void parsesEveryOptionAndRefusesBadOnes() throws Exception {
        RelayMain.Args a = RelayMain.parse("--bind", "127.0.0.1", "--port", "0", "--stun-port", "-1", "--max-clients", "5",
                "--queue", "64", "--rate", "1048576");
        assertThat(a.bind().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(a.port()).isZero();
        assertThat(a.stunPort()).isEqualTo(-1);
        assertThat(a.limits()).isEqualTo(new RelayCore.Limits(5, 64, 1 << 20, 2 << 20));
        assertThat(RelayMain.parse().port()).isEqualTo(3340);
        assertThatThrownBy(() -> RelayMain.parse("--port")).hasMessageContaining("--port needs a value").hasMessageContaining("usage:");
        assertThatThrownBy(() -> RelayMain.parse("--port", "70000")).hasMessageContaining("70000 is not 0 to 65535");
        assertThatThrownBy(() -> RelayMain.parse("--port", "x")).hasMessageContaining("'x' is not a number");
        assertThatThrownBy(() -> RelayMain.parse("--rate", "10")).hasMessageContaining("at least 1024");
        assertThatThrownBy(() -> RelayMain.parse("--colour", "blue")).hasMessageContaining("unknown option --colour");
    }

    @Test
    void startsAndSaysWhere() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RelayMain.Args a = RelayMain.parse("--bind", "127.0.0.1", "--port", "0", "--stun-port", "0");
        try (RelayServer s = RelayMain.start(a, new PrintStream(out, true, StandardCharsets.UTF_8))) {
            assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("relay listening at " + s.url() + ", STUN at udp ");
        }
    }
}
