package org.quiver.examples.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the example as its user would, and checks what it prints. */
class EchoExampleTest {
    @Test
    void theExampleDialsItsServerByTicketAndGetsItsLineBack() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            EchoExample.main(new String[] {"hello", "from", "plain", "Java"});
        } finally {
            System.setOut(original);
        }
        String out = printed.toString(StandardCharsets.UTF_8);
        assertThat(out).containsPattern("server [a-z2-7]{52} at quiver[a-z2-7]+").contains("echoed: hello from plain Java");
    }
}
