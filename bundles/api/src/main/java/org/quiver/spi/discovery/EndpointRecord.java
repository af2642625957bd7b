package org.quiver.spi.discovery;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.quiver.api.EndpointAddr;
import org.quiver.api.EndpointId;

/**
 * What a discovery provider carries about an endpoint: its address, when it said so, and its signature over
 * both. Only the endpoint's own key can make one, so a provider (a DNS zone, the LAN) cannot forge or alter
 * it; {@link #check} refuses records about another id, and stale or future-dated ones.
 *
 * <p>Text form (fits DNS and mDNS TXT values, split into 255-byte strings by those providers):
 * {@code v1 <ticket> <unix millis> <base64url signature>}, the signature being Ed25519 over
 * {@code "quiver-record-v1\n" + ticket + "\n" + millis}.
 */
public final class EndpointRecord {
    /** Records older than this are refused by default. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(24);
    /** How far in the future a record's time may be (clock skew). */
    public static final Duration MAX_SKEW = Duration.ofMinutes(5);
    /** Longest text form accepted. */
    public static final int MAX_TEXT = 5000;

    private final EndpointAddr addr;
    private final Instant timestamp;
    private final byte[] signature;
    private final String text;

    private EndpointRecord(EndpointAddr addr, Instant timestamp, byte[] signature) {
        this.addr = addr;
        this.timestamp = timestamp;
        this.signature = signature;
        this.text = "v1 " + addr.toTicket() + " " + timestamp.toEpochMilli() + " "
                + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    }

    /** Signs {@code addr} as of {@code at} with {@code signer} (the key of {@code addr.id()}). */
    public static EndpointRecord sign(EndpointAddr addr, Instant at, UnaryOperator<byte[]> signer) {
        Objects.requireNonNull(addr, "addr");
        Instant ms = Instant.ofEpochMilli(at.toEpochMilli());
        byte[] sig = signer.apply(message(addr.toTicket(), ms.toEpochMilli()));
        if (sig == null || sig.length != 64 || !addr.id().verify(message(addr.toTicket(), ms.toEpochMilli()), sig)) {
            throw new IllegalArgumentException("the signer is not " + addr.id().shortString() + "'s key");
        }
        return new EndpointRecord(addr, ms, sig);
    }

    private static byte[] message(String ticket, long millis) {
        return ("quiver-record-v1\n" + ticket + "\n" + millis).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Parses a record's text form and verifies its signature against the id it names.
     *
     * @throws IllegalArgumentException saying what is wrong: malformed, or a signature that does not verify
     */
    public static EndpointRecord decode(String text) {
        if (text == null || text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("not a Quiver endpoint record (missing or longer than " + MAX_TEXT + " characters)");
        }
        String[] parts = text.strip().split(" ");
        if (parts.length != 4 || !parts[0].equals("v1")) {
            throw new IllegalArgumentException("not a Quiver endpoint record (expected 'v1 <ticket> <millis> <signature>')");
        }
        EndpointAddr addr = EndpointAddr.fromTicket(parts[1]);
        long millis;
        byte[] sig;
        try {
            millis = Long.parseLong(parts[2]);
            sig = Base64.getUrlDecoder().decode(parts[3]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed endpoint record: " + e.getMessage(), e);
        }
        if (millis < 0 || sig.length != 64) {
            throw new IllegalArgumentException("malformed endpoint record: bad time or signature length");
        }
        if (!addr.id().verify(message(parts[1], millis), sig)) {
            throw new IllegalArgumentException("forged endpoint record: the signature is not " + addr.id().shortString() + "'s");
        }
        return new EndpointRecord(addr, Instant.ofEpochMilli(millis), sig);
    }

    /**
     * Checks the record is about {@code expected} and was signed within {@code maxAge} before {@code now}
     * (and not more than {@link #MAX_SKEW} after it).
     *
     * @throws IllegalArgumentException saying which check failed
     */
    public EndpointRecord check(EndpointId expected, Instant now, Duration maxAge) {
        if (!addr.id().equals(expected)) {
            throw new IllegalArgumentException("the record is about " + addr.id().shortString() + ", not " + expected.shortString());
        }
        if (timestamp.isBefore(now.minus(maxAge))) {
            throw new IllegalArgumentException("stale record of " + expected.shortString() + ": signed " + timestamp + ", older than " + maxAge);
        }
        if (timestamp.isAfter(now.plus(MAX_SKEW))) {
            throw new IllegalArgumentException("record of " + expected.shortString() + " from the future: " + timestamp);
        }
        return this;
    }

    public EndpointAddr addr() {
        return addr;
    }

    public Instant timestamp() {
        return timestamp;
    }

    /** The text form. */
    public String encode() {
        return text;
    }

    /** A discovery result from this record, by {@code provider}. */
    public DiscoveryItem item(String provider) {
        return new DiscoveryItem(addr, provider, timestamp);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndpointRecord r && r.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return "EndpointRecord{" + addr + " at " + timestamp + "}";
    }
}
