package org.quiver.transport.quic.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quiver.api.Blocking;
import org.quiver.api.Connection;
import org.quiver.api.EndpointAddr;
import org.quiver.identity.Identities;

/**
 * Strangers' Initials, as an attacker sends them on loopback: tiny ones are dropped before any work and never
 * answered (no reflection), and a flood of full-size ones from many addresses churns through the slots for
 * unvalidated senders instead of filling the peer table, so a real client still connects during the flood.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InitialFloodTest {
    private static final InetSocketAddress LO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** A QUIC v1 Initial header (8-byte destination id, no source id, no token), then junk up to {@code size} bytes. */
    private static byte[] initial(Random random, int size) {
        byte[] d = new byte[size];
        random.nextBytes(d);
        d[0] = (byte) 0xc3;            // long header, fixed bit, Initial, 4-byte packet number
        d[1] = 0;
        d[2] = 0;
        d[3] = 0;
        d[4] = 1;                      // version 1
        d[5] = 8;                      // destination id: the 8 random bytes that follow
        d[14] = 0;                     // no source id
        d[15] = 0;                     // no token
        int length = size - 18;
        d[16] = (byte) (0x40 | (length >> 8));
        d[17] = (byte) length;
        return d;
    }

    @Test
    void tinyInitialsAreNeverAnsweredAndAFloodDoesNotLockOutARealClient() throws Exception {
        Random random = new Random(5);
        try (QuicEndpoint server = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).maxPeers(200).handler("f/1", c -> { }).build();
             QuicEndpoint client = QuicEndpoint.builder(Identities.ephemeral()).bind(LO).build()) {
            // 1. 1,000 Initials of 20 bytes: dropped, nothing sent back (they used to draw a 68-byte Retry each)
            long dropped = server.droppedDatagrams();
            try (DatagramSocket attacker = new DatagramSocket(LO)) {
                attacker.setSoTimeout(500);
                for (int i = 0; i < 1000; i++) {
                    byte[] d = initial(random, 20);
                    attacker.send(new DatagramPacket(d, d.length, server.localAddress()));
                }
                int answers = 0;
                try {
                    while (answers < 1000) {
                        attacker.receive(new DatagramPacket(new byte[2048], 2048));
                        answers++;
                    }
                } catch (SocketTimeoutException quiet) {
                    // nothing more came
                }
                assertThat(answers).as("datagrams sent back to the tiny Initials' source").isZero();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.droppedDatagrams() < dropped + 1000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(server.droppedDatagrams() - dropped).isGreaterThanOrEqualTo(1000);

            // 2. full-size Initials from 400 addresses (the table holds 200 peers, 100 of them unvalidated)
            List<DatagramSocket> senders = new ArrayList<>();
            try {
                for (int i = 0; i < 400; i++) {
                    senders.add(new DatagramSocket(LO));
                }
                long bytesIn = 0;
                for (DatagramSocket s : senders) {
                    byte[] d = initial(random, 1200);
                    s.send(new DatagramPacket(d, d.length, server.localAddress()));
                    bytesIn += d.length;
                }
                // a real client dials right after (its own Initial one of many), and again a second later
                Connection c = Blocking.await(client.connect(EndpointAddr.of(server.id(), null, List.of(server.localAddress())), "f/1"),
                        Duration.ofSeconds(10));
                assertThat(c.remoteId()).isEqualTo(server.id());
                c.close();
                assertThat(server.unvalidatedEvicted()).as("unvalidated senders pushed out").isGreaterThanOrEqualTo(200);
                // what the flood drew back: a Retry per Initial at most, far smaller than what was sent
                long bytesOut = 0;
                for (DatagramSocket s : senders) {
                    s.setSoTimeout(1);
                    try {
                        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
                        s.receive(p);
                        bytesOut += p.getLength();
                    } catch (SocketTimeoutException none) {
                        // not answered
                    }
                }
                System.out.printf("Initial flood: %d bytes in, %d bytes answered (%.3f), %d unvalidated peers evicted%n",
                        bytesIn, bytesOut, (double) bytesOut / bytesIn, server.unvalidatedEvicted());
                assertThat((double) bytesOut / bytesIn).as("amplification").isLessThan(0.2);
            } finally {
                senders.forEach(DatagramSocket::close);
            }
        }
    }
}
