package org.quiver.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.relay.protocol.Codec;
import org.quiver.relay.protocol.RelayFrame;

/** The relay over real WebSockets on loopback, with the JDK's WebSocket client as the other side. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayServerTest {
    private final RelayServer relay;

    RelayServerTest() throws Exception {
        relay = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new RelayCore.Limits(100, 64, 1L << 20, 1L << 20));
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    /** A client: frames it receives, and how it was closed. */
    private static final class Client implements WebSocket.Listener {
        final LinkedBlockingQueue<Object> in = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private ByteBuffer partial = ByteBuffer.allocate(0);
        WebSocket ws;

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            ByteBuffer all = ByteBuffer.allocate(partial.remaining() + data.remaining()).put(partial).put(data).flip();
            if (last) {
                try {
                    in.add(Codec.decode(all));
                } catch (Exception e) {
                    in.add(e);
                }
                partial = ByteBuffer.allocate(0);
            } else {
                partial = all;
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }

        RelayFrame next() throws InterruptedException {
            Object o = in.poll(10, TimeUnit.SECONDS);
            assertThat(o).as("a frame").isInstanceOf(RelayFrame.class);
            return (RelayFrame) o;
        }

        void send(RelayFrame f) {
            ws.sendBinary(Codec.encode(f), true).join();
        }
    }

    private Client connect() {
        return connect(relay);
    }

    private static Client connect(RelayServer to) {
        Client c = new Client();
        c.ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(to.url()), c).join();
        return c;
    }

    private Client login(LocalIdentity who) throws Exception {
        return login(relay, who);
    }

    private static Client login(RelayServer to, LocalIdentity who) throws Exception {
        Client c = connect(to);
        RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) c.next();
        String name = RelayFrame.ClientAuth.authority(URI.create(to.url()));
        c.send(new RelayFrame.ClientAuth(who.id(), name, who.sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), name))));
        assertThat(c.next()).isEqualTo(new RelayFrame.ServerConfirmsAuth());
        return c;
    }

    @Test
    void twoClientsExchangeDatagramsThroughTheRelay() throws Exception {
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Client a = login(alice);
        Client b = login(bob);
        byte[] big = new byte[RelayFrame.MAX_DATAGRAM];
        new java.util.Random(1).nextBytes(big);
        a.send(new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, big));
        assertThat(b.next()).isEqualTo(new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 0, big));
        b.send(new RelayFrame.Ping(9));
        assertThat(b.next()).isEqualTo(new RelayFrame.Pong(9));
        assertThat(relay.url()).startsWith("ws://127.0.0.1:").endsWith("/relay");
        assertThat(relay.core().stats().authenticated()).isEqualTo(2);
    }

    @Test
    void clientsOnDifferentEventLoopsExchangeDatagramsInOrder() throws Exception {
        assertThat(relay.threads()).isEqualTo(RelayServer.defaultThreads()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
        assertThatThrownBy(() -> new RelayServer.Config(new InetSocketAddress(0), null, RelayCore.Limits.DEFAULT, RelayServer.KEEPALIVE, null,
                java.util.List.of(), -1)).hasMessageContaining("1 to 256 threads");
        // three loops, three clients: netty hands connections to its loops in turn, so each datagram crosses from one
        // loop's connection to another's (the hand-off a relay of one loop never makes)
        try (RelayServer three = RelayServer.start(new RelayServer.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null,
                new RelayCore.Limits(100, 512, 1L << 30, 1L << 30), RelayServer.KEEPALIVE, null, java.util.List.of(), 3))) {
            assertThat(three.threads()).isEqualTo(3);
            LocalIdentity[] who = {Identities.ephemeral(), Identities.ephemeral(), Identities.ephemeral()};
            Client[] c = new Client[3];
            for (int i = 0; i < 3; i++) {
                c[i] = login(three, who[i]);
            }
            for (int i = 0; i < 3; i++) {
                for (int n = 0; n < 100; n++) {
                    c[i].send(new RelayFrame.ClientToRelayDatagram(who[(i + 1) % 3].id(), (byte) 0, new byte[] {(byte) i, (byte) n}));
                }
            }
            for (int i = 0; i < 3; i++) {
                int from = (i + 2) % 3;
                for (int n = 0; n < 100; n++) {
                    assertThat(c[i].next()).isEqualTo(new RelayFrame.RelayToClientDatagram(who[from].id(), (byte) 0, new byte[] {(byte) from, (byte) n}));
                }
            }
            java.util.Set<String> loops = new java.util.HashSet<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("quiver-relay-")) {
                    loops.add(t.getName());
                }
            }
            assertThat(loops).as("the relays' loop threads now").hasSizeGreaterThanOrEqualTo(3);
        }
    }

    /** Sends a login signed for {@code name} and returns the relay's answer. */
    private static RelayFrame loginAs(Client c, LocalIdentity who, String name) throws Exception {
        RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) c.next();
        c.send(new RelayFrame.ClientAuth(who.id(), name, who.sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), name))));
        return c.next();
    }

    @Test
    void aLoginSignedForAnotherRelayIsRefused() throws Exception {
        LocalIdentity alice = Identities.ephemeral();
        int port = relay.address().getPort();
        // what a relay that passed our challenge on to a node gets back: the node's signature naming that relay
        Client replayed = connect();
        assertThat(loginAs(replayed, alice, "evil.example:" + port)).isInstanceOfSatisfying(RelayFrame.ServerDeniesAuth.class,
                d -> assertThat(d.reason()).contains("this relay is not evil.example:" + port));
        assertThat(replayed.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        assertThat(relay.core().wrongRelayLogins()).isEqualTo(1);
        // the same address on another port is another relay
        Client otherPort = connect();
        assertThat(loginAs(otherPort, alice, "127.0.0.1:" + (port == 65535 ? 1 : port + 1))).isInstanceOf(RelayFrame.ServerDeniesAuth.class);
        // its own address and port, and localhost, are this relay
        assertThat(loginAs(connect(), alice, "127.0.0.1:" + port)).isEqualTo(new RelayFrame.ServerConfirmsAuth());
        assertThat(loginAs(connect(), Identities.ephemeral(), "localhost:" + port)).isEqualTo(new RelayFrame.ServerConfirmsAuth());
        assertThat(relay.core().stats().authenticated()).isEqualTo(2);
    }

    @Test
    void aConfiguredNameIsThisRelay() throws Exception {
        try (RelayServer named = RelayServer.start(new RelayServer.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null,
                RelayCore.Limits.DEFAULT, RelayServer.KEEPALIVE, null, java.util.List.of("Relay.Example:443")))) {
            assertThat(loginAs(connect(named), Identities.ephemeral(), "relay.example:443")).isEqualTo(new RelayFrame.ServerConfirmsAuth());
            assertThat(loginAs(connect(named), Identities.ephemeral(), "relay.example:80")).isInstanceOf(RelayFrame.ServerDeniesAuth.class);
        }
        assertThatThrownBy(() -> new RelayServer.Config(new InetSocketAddress(0), null, RelayCore.Limits.DEFAULT, RelayServer.KEEPALIVE, null,
                java.util.List.of("relay.example"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
    }

    @Test
    void oneAddressHoldsAtMostItsShareOfConnections() throws Exception {
        try (RelayServer capped = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new RelayCore.Limits(100, 64, 1L << 20, 1L << 20, 5))) {
            java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 12; i++) { // a flooder opening plain TCP connections
                    java.net.Socket s = new java.net.Socket();
                    s.connect(capped.address(), 2000);
                    s.setSoTimeout(3000);
                    held.add(s);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (capped.perAddressRefused() < 7 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(capped.perAddressRefused()).isEqualTo(7);
                int closed = 0;
                for (java.net.Socket s : held.subList(5, 12)) {
                    try {
                        if (s.getInputStream().read() == -1) {
                            closed++;
                        }
                    } catch (java.io.IOException reset) {
                        closed++;
                    }
                }
                assertThat(closed).as("the connections over the cap were closed at once").isEqualTo(7);
                // a held one goes: a real client gets its place
                held.remove(0).close();
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                Client c = null;
                while (c == null && System.nanoTime() < deadline) {
                    try {
                        c = login(capped, Identities.ephemeral());
                    } catch (java.util.concurrent.CompletionException | AssertionError notYet) {
                        Thread.sleep(50); // the close may not have been seen yet
                    }
                }
                assertThat(c).as("a client logs in once a place is free").isNotNull();
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void closingTheRelayClosesEveryClientConnection() throws Exception {
        // clients connected at every stage: logged in, challenged but silent, and just connected
        RelayServer r = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RelayCore.Limits.DEFAULT);
        java.util.List<Client> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                clients.add(i % 2 == 0 ? login(r, Identities.ephemeral()) : connect(r));
            }
        } finally {
            r.close();
        }
        for (Client c : clients) {
            assertThat(c.closed).as("the client saw its connection end").succeedsWithin(java.time.Duration.ofSeconds(5));
        }
    }

    @Test
    void badInputClosesThatClientOnly() throws Exception {
        LocalIdentity alice = Identities.ephemeral();
        Client a = login(alice);
        // garbage bytes
        Client garbage = connect();
        garbage.next();
        garbage.ws.sendBinary(ByteBuffer.wrap(new byte[] {0x7f, 1, 2}), true).join();
        assertThat(garbage.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        // a wrong signature: denied, then closed
        Client forger = connect();
        RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) forger.next();
        String name = RelayFrame.ClientAuth.authority(URI.create(relay.url()));
        forger.send(new RelayFrame.ClientAuth(alice.id(), name, Identities.ephemeral().sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), name))));
        assertThat(forger.next()).isInstanceOf(RelayFrame.ServerDeniesAuth.class);
        assertThat(forger.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        // text instead of binary
        Client text = connect();
        text.next();
        text.ws.sendText("hello", true).join();
        assertThat(text.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        // an oversized WebSocket frame
        Client huge = connect();
        huge.next();
        huge.ws.sendBinary(ByteBuffer.allocate(RelayFrame.MAX_FRAME + 1), true);
        assertThat(huge.closed.get(10, TimeUnit.SECONDS)).isNotNull();
        // alice is still fine
        a.send(new RelayFrame.Ping(1));
        assertThat(a.next()).isEqualTo(new RelayFrame.Pong(1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (relay.core().stats().sessions() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(relay.core().stats().sessions()).as("the bad clients' sessions are gone").isEqualTo(1);
        assertThat(relay.core().stats().refused()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void clientsThatDoNotLogInOrGoSilentAreClosedAndLiveOnesArePinged() throws Exception {
        try (RelayServer quick = RelayServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new RelayCore.Limits(100, 64, 1L << 20, 1L << 20), java.time.Duration.ofMillis(200))) {
            Client lurker = connect(quick);
            assertThat(lurker.next()).isInstanceOf(RelayFrame.ServerChallenge.class);
            assertThat(lurker.closed.get(5, TimeUnit.SECONDS)).as("no login within 400 ms").isEqualTo(1008);

            Client silent = login(quick, Identities.ephemeral());
            assertThat(silent.next()).as("the relay pings").isInstanceOf(RelayFrame.Ping.class);
            assertThat(silent.closed.get(5, TimeUnit.SECONDS)).as("silent for three intervals").isEqualTo(1008);

            Client alive = login(quick, Identities.ephemeral());
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            int pings = 0;
            while (System.nanoTime() < end) {
                Object o = alive.in.poll(100, TimeUnit.MILLISECONDS);
                if (o instanceof RelayFrame.Ping p) {
                    pings++;
                    alive.send(new RelayFrame.Pong(p.payload()));
                }
            }
            assertThat(pings).isGreaterThanOrEqualTo(3);
            assertThat(alive.closed).as("a client that answers stays").isNotDone();
            assertThat(quick.core().stats().authenticated()).isEqualTo(1);
        }
        assertThatThrownBy(() -> RelayServer.start(new InetSocketAddress(0), RelayCore.Limits.DEFAULT, java.time.Duration.ZERO))
                .hasMessageContaining("keepalive");
    }

    /** Whole messages as they arrive, undecoded: to see batches. */
    private static final class Messages implements WebSocket.Listener {
        final LinkedBlockingQueue<ByteBuffer> in = new LinkedBlockingQueue<>();
        private ByteBuffer partial = ByteBuffer.allocate(0);

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            ByteBuffer all = ByteBuffer.allocate(partial.remaining() + data.remaining()).put(partial).put(data).flip();
            if (last) {
                in.add(all);
                partial = ByteBuffer.allocate(0);
            } else {
                partial = all;
            }
            webSocket.request(1);
            return null;
        }
    }

    private static ByteBuffer batchOf(RelayFrame... frames) {
        ByteBuffer b = ByteBuffer.allocate(RelayFrame.MAX_FRAME);
        b.put(Codec.BATCH);
        for (RelayFrame f : frames) {
            ByteBuffer e = Codec.encode(f);
            b.putShort((short) e.remaining()).put(e);
        }
        return b.flip();
    }

    /**
     * A client that asks for batches (the upgrade header) gets every frame in batch messages, from the challenge on, and
     * may send batches; a client that does not ask (the other tests' clients, as older Quiver clients) gets one frame
     * per message, also what a batching client sent it in one message.
     */
    @Test
    void aClientThatAsksForBatchesGetsAndSendsThemAndOthersNeverSeeOne() throws Exception {
        LocalIdentity alice = Identities.ephemeral();
        LocalIdentity bob = Identities.ephemeral();
        Client b = login(bob);
        Messages a = new Messages();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().header(Codec.BATCH_HEADER, "1")
                .buildAsync(URI.create(relay.url()), a).join();
        ByteBuffer first = a.in.poll(10, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(first.get(0)).as("the challenge comes in a batch").isEqualTo(Codec.BATCH);
        RelayFrame.ServerChallenge ch = (RelayFrame.ServerChallenge) Codec.decode(Codec.frames(first).get(0));
        String name = RelayFrame.ClientAuth.authority(URI.create(relay.url()));
        ws.sendBinary(batchOf(new RelayFrame.ClientAuth(alice.id(), name, alice.sign(RelayFrame.ClientAuth.signedMessage(ch.challenge(), name)))), true).join();
        assertThat(Codec.decode(Codec.frames(a.in.poll(10, TimeUnit.SECONDS)).get(0))).isEqualTo(new RelayFrame.ServerConfirmsAuth());

        // ten datagrams in one message from alice: bob, who did not ask for batches, gets ten messages
        RelayFrame[] ten = new RelayFrame[10];
        for (int i = 0; i < ten.length; i++) {
            ten[i] = new RelayFrame.ClientToRelayDatagram(bob.id(), (byte) 0, new byte[] {(byte) i, 1, 2});
        }
        ws.sendBinary(batchOf(ten), true).join();
        for (int i = 0; i < ten.length; i++) {
            assertThat(b.next()).isEqualTo(new RelayFrame.RelayToClientDatagram(alice.id(), (byte) 0, new byte[] {(byte) i, 1, 2}));
        }
        // and what bob sends alice arrives in batches, in order
        for (int i = 0; i < 50; i++) {
            b.send(new RelayFrame.ClientToRelayDatagram(alice.id(), (byte) 0, new byte[] {(byte) i}));
        }
        int got = 0;
        int messages = 0;
        while (got < 50) {
            ByteBuffer m = a.in.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("datagram " + got).isNotNull();
            assertThat(m.get(0)).isEqualTo(Codec.BATCH);
            messages++;
            for (ByteBuffer one : Codec.frames(m)) {
                assertThat(Codec.decode(one)).isEqualTo(new RelayFrame.RelayToClientDatagram(bob.id(), (byte) 0, new byte[] {(byte) got}));
                got++;
            }
        }
        assertThat(messages).isBetween(1, 50);
        // a broken batch closes that client only
        ws.sendBinary(ByteBuffer.wrap(new byte[] {Codec.BATCH, 0, 9, 1}), true).join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (relay.core().stats().sessions() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(relay.core().stats().sessions()).isEqualTo(1);
        b.send(new RelayFrame.Ping(3));
        assertThat(b.next()).isEqualTo(new RelayFrame.Pong(3));
    }
}
