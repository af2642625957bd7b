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
        assertThat(RelayMain.parse().threads()).isZero(); // the default: half the cores
        assertThat(RelayMain.parse("--threads", "3").threads()).isEqualTo(3);
        assertThatThrownBy(() -> RelayMain.parse("--threads", "0")).hasMessageContaining("0 is not 1 to 256");
        assertThatThrownBy(() -> RelayMain.parse("--port")).hasMessageContaining("--port needs a value").hasMessageContaining("usage:");
        assertThatThrownBy(() -> RelayMain.parse("--port", "70000")).hasMessageContaining("70000 is not 0 to 65535");
        assertThatThrownBy(() -> RelayMain.parse("--port", "x")).hasMessageContaining("'x' is not a number");
        assertThatThrownBy(() -> RelayMain.parse("--rate", "10")).hasMessageContaining("at least 1024");
        assertThatThrownBy(() -> RelayMain.parse("--colour", "blue")).hasMessageContaining("unknown option --colour");
        assertThatThrownBy(() -> RelayMain.parse("--tls-cert", "c.pem")).hasMessageContaining("--tls-cert and --tls-key go together");
        RelayMain.Args tls = RelayMain.parse("--tls-cert", "/x/c.pem", "--tls-key", "/x/k.pem", "--port", "0");
        assertThat(tls.tls()).isEqualTo(new RelayServer.Tls(java.nio.file.Path.of("/x/c.pem"), java.nio.file.Path.of("/x/k.pem")));
        assertThatThrownBy(() -> RelayMain.start(tls, System.out)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("Cannot read the relay's TLS file /x/c.pem");
    }

    @Test
    void aKeyThatIsNotAKeyIsRefusedClearly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path junk = java.nio.file.Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        RelayMain.Args a = RelayMain.parse("--bind", "127.0.0.1", "--port", "0", "--stun-port", "-1", "--tls-cert", junk.toString(),
                "--tls-key", junk.toString());
        assertThatThrownBy(() -> RelayMain.start(a, System.out)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("for TLS");
    }

    @Test
    void startsAndSaysWhere() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RelayMain.Args a = RelayMain.parse("--bind", "127.0.0.1", "--port", "0", "--stun-port", "0", "--threads", "3");
        try (RelayServer s = RelayMain.start(a, new PrintStream(out, true, StandardCharsets.UTF_8))) {
            assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("relay listening at " + s.url() + ", STUN at udp ");
            assertThat(s.threads()).isEqualTo(3);
        }
    }
}
