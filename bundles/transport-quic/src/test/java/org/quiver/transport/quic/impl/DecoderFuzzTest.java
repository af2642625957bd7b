package org.quiver.transport.quic.impl;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;
import org.quiver.identity.Identities;
import org.quiver.internal.stun.Stun;
import org.quiver.spi.discovery.EndpointRecord;

/**
 * Jazzer fuzz targets for every decoder a stranger's datagram or text reaches before anything authenticates it:
 * probes and calls, the router's QUIC header walk, STUN, tickets, discovery records, a resuming ClientHello and the
 * session ticket in it. In the normal test run each
 * replays the inputs in {@code src/test/resources/.../DecoderFuzzTestInputs/<method>/} (regression mode);
 * {@code JAZZER_FUZZ=1 mvn test -Dtest=DecoderFuzzTest#<method>} fuzzes one for real and adds what it finds there.
 * Each asserts the decoder is total: it answers (a value, or its documented refusal), never throws otherwise.
 */
class DecoderFuzzTest {
    private static final LocalIdentity ME = Identities.ephemeral();
    private static final LocalIdentity PEER = Identities.ephemeral();
    private static final Probe.Keys KEYS = (d, off) -> new Probe.Keyed(PEER.id(), Probe.mac(ME, PEER.id()));

    @FuzzTest(maxDuration = "10m")
    void probesAndCalls(byte[] input) {
        Probe.Result r = Probe.decode(input, ME.id(), ME.id().toBytes(), KEYS);
        if ((r.probe() == null) == (r.reject() == null)) {
            throw new AssertionError("a probe or a reason, exactly one: " + r);
        }
        Probe.CallResult c = Probe.decodeCallMeMaybe(input, ME.id().toBytes(), KEYS);
        if (c.call() != null && c.call().addresses().size() > Probe.MAX_CALL_ADDRESSES) {
            throw new AssertionError("more addresses than a call may carry");
        }
    }

    @FuzzTest(maxDuration = "10m")
    void routerHeaderWalk(byte[] input) {
        ByteBuf buf = Unpooled.wrappedBuffer(input);
        try {
            ConnectionIds.route(buf, (b, i) -> i + ConnectionIds.LENGTH <= b.writerIndex() && (b.getByte(i) & 1) == 0);
            if (buf.isReadable()) {
                ConnectionIds.isInitial(buf);
            }
            ByteBufKey handshakeSource = ConnectionIds.handshakeSourceId(buf);
            if (handshakeSource != null && input.length < 8 + ConnectionIds.LENGTH) {
                throw new AssertionError("a Handshake packet's source id outside the datagram");
            }
            int at = ConnectionIds.shortHeaderAt(buf);
            if (at != -1 && (at < 0 || at + 1 + ConnectionIds.LENGTH > input.length)) {
                throw new AssertionError("a short header outside the datagram: " + at);
            }
        } finally {
            buf.release();
        }
    }

    @FuzzTest(maxDuration = "10m")
    void stun(byte[] input) {
        byte[] answer = Stun.bindingResponse(input, new InetSocketAddress("198.18.0.1", 4433));
        if (answer != null && answer.length > 2 * Math.max(input.length, 20) + 32) {
            throw new AssertionError("a STUN answer much larger than its request");
        }
        byte[] txid = new byte[12];
        Stun.mappedAddress(input, txid);
    }

    @FuzzTest(maxDuration = "10m")
    void ticketsAndRecords(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            EndpointAddr.fromTicket(text);
        } catch (IllegalArgumentException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError("a refusal must say why");
            }
        }
        try {
            EndpointRecord.decode(text);
        } catch (IllegalArgumentException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError("a refusal must say why");
            }
        }
    }

    @FuzzTest(maxDuration = "10m")
    void resumingClientHello(byte[] input) {
        InitialPackets.hasToken(input);
        byte[] ticket = KeyExchanges.clientHelloTicket(input);
        if (ticket != null && ticket.length >= input.length) {
            throw new AssertionError("a ticket longer than its ClientHello");
        }
        try {
            SessionTickets.session(input);
        } catch (java.security.GeneralSecurityException refused) {
            // a certificate that does not parse: the ticket names nobody
        }
        // a ticket sealed with another key, or none: nobody
        if (SessionTickets.open(input, TICKET_KEY) != null) {
            throw new AssertionError("a ticket this key never sealed opened");
        }
    }

    private static final io.netty.handler.codec.quic.SslSessionTicketKey TICKET_KEY = Tls.newTicketKey();
}
