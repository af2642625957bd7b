package org.quiver.discovery.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.quiver.api.EndpointId;
import org.quiver.spi.discovery.Discovery;
import org.quiver.spi.discovery.DiscoveryListener;
import org.quiver.spi.discovery.EndpointRecord;
import org.quiver.spi.discovery.Lookup;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * Discovery through DNS: an endpoint's signed {@link EndpointRecord} lives in the TXT record
 * {@code _quiver.<endpoint-id>.<zone>}. Lookups ask a DNS server (asynchronously, dnsjava); publishing
 * replaces the TXT record by an RFC 2136 dynamic update signed with TSIG. DNS is only the carrier: every
 * record is checked against the id asked for, its signature and its age, so the zone's operator (or anyone
 * who can write to it) cannot redirect an id elsewhere.
 */
public final class DnsDiscovery implements Discovery {
    /** The provider's name in results and shell output. */
    public static final String NAME = "dns";

    /**
     * How to reach DNS.
     *
     * @param zone         the zone records live in ({@code quiver.example.org.})
     * @param server       the DNS server asked for records
     * @param updateServer the server updates go to (the zone's primary); null: no publishing
     * @param tsig         the TSIG key updates are signed with: name, algorithm ({@code hmac-sha256}), base64 secret;
     *                     null: no publishing
     * @param ttl          the TTL of published records
     * @param timeout      how long one query or update may take
     * @param maxAge       records signed longer ago are refused
     */
    public record Config(Name zone, InetSocketAddress server, InetSocketAddress updateServer, TsigKey tsig, Duration ttl, Duration timeout,
                         Duration maxAge) {
        public Config {
            Objects.requireNonNull(zone, "zone");
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(ttl, "ttl");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(maxAge, "maxAge");
            if (!zone.isAbsolute()) {
                throw new IllegalArgumentException("the zone must be absolute (end with a dot): " + zone);
            }
        }

        /** A zone by name: {@code quiver.example.org} (a final dot is added). */
        public static Name zone(String text) {
            try {
                return Name.fromString(text.endsWith(".") ? text : text + ".");
            } catch (TextParseException e) {
                throw new IllegalArgumentException("'" + text + "' is not a DNS zone name: " + e.getMessage(), e);
            }
        }
    }

    /** A TSIG key: its name, its algorithm ({@code hmac-sha256}) and its base64 secret. */
    public record TsigKey(String name, String algorithm, String secret) {
        public TsigKey {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(secret, "secret");
        }

        TSIG tsig() {
            try {
                java.util.Base64.getDecoder().decode(secret);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the secret of TSIG key " + name + " is not base64", e);
            }
            try {
                return new TSIG(Name.fromString(algorithm.endsWith(".") ? algorithm : algorithm + "."),
                        Name.fromString(name.endsWith(".") ? name : name + "."), secret);
            } catch (TextParseException | IllegalArgumentException e) {
                throw new IllegalArgumentException("bad TSIG key " + name + " (" + algorithm + "): " + e.getMessage(), e);
            }
        }
    }

    private final Config config;
    private final Clock clock;
    private final TSIG tsig;
    private final AtomicReference<String> lastPublish = new AtomicReference<>("not published yet");

    public DnsDiscovery(Config config) {
        this(config, Clock.systemUTC());
    }

    DnsDiscovery(Config config, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = clock;
        this.tsig = config.tsig() == null ? null : config.tsig().tsig();
    }

    /** The TXT record's name for {@code id}: {@code _quiver.<id>.<zone>}. */
    public Name nameOf(EndpointId id) {
        try {
            return Name.concatenate(Name.fromString("_quiver." + id), config.zone());
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            throw new IllegalArgumentException("the zone " + config.zone() + " is too long for Quiver names", e);
        }
    }

    /** The record as TXT strings of at most 255 characters. */
    static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < text.length(); i += 255) {
            parts.add(text.substring(i, Math.min(text.length(), i + 255)));
        }
        return parts;
    }

    /** What the last publication did: "published ... at ..." or why it failed. */
    public String lastPublish() {
        return lastPublish.get();
    }

    /** Replaces this endpoint's TXT record (dynamic update, TSIG), asynchronously; a failure is kept in {@link #lastPublish()}. */
    @Override
    public void publish(EndpointRecord self) {
        if (config.updateServer() == null || tsig == null) {
            lastPublish.set("publishing is off (no update server or TSIG key)");
            return;
        }
        publishAsync(self);
    }

    /** As {@link #publish}, with the outcome. */
    public CompletableFuture<Void> publishAsync(EndpointRecord self) {
        Name name = nameOf(self.addr().id());
        Update update = new Update(config.zone());
        update.replace(new TXTRecord(name, DClass.IN, config.ttl().toSeconds(), split(self.encode())));
        SimpleResolver r = resolver(config.updateServer());
        r.setTSIGKey(tsig);
        return r.sendAsync(update).toCompletableFuture().thenAccept(answer -> {
            if (answer.getRcode() != Rcode.NOERROR) {
                throw new IllegalStateException("the DNS server refused the update of " + name + ": " + Rcode.string(answer.getRcode()));
            }
            lastPublish.set("published " + name + " at " + Instant.now(clock));
        }).whenComplete((v, e) -> {
            if (e != null) {
                lastPublish.set("publishing " + name + " failed: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
            }
        });
    }

    private SimpleResolver resolver(InetSocketAddress server) {
        SimpleResolver r = new SimpleResolver(server);
        r.setTimeout(config.timeout());
        return r;
    }

    @Override
    public Lookup resolve(EndpointId id, DiscoveryListener listener) {
        Name name = nameOf(id);
        Message query = Message.newQuery(Record.newRecord(name, Type.TXT, DClass.IN));
        CompletableFuture<Message> sent = resolver(config.server()).sendAsync(query).toCompletableFuture();
        sent.whenComplete((answer, e) -> {
            if (e != null) {
                listener.failed(e.getCause() != null ? e.getCause() : e);
                return;
            }
            int rcode = answer.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                listener.completed();
                return;
            }
            if (rcode != Rcode.NOERROR) {
                listener.failed(new IOException("DNS answered " + Rcode.string(rcode) + " for " + name));
                return;
            }
            List<String> refused = new ArrayList<>();
            int found = 0;
            for (Record rec : answer.getSection(Section.ANSWER)) {
                if (!(rec instanceof TXTRecord txt) || !rec.getName().equals(name)) {
                    continue;
                }
                String text = String.join("", txt.getStrings());
                try {
                    EndpointRecord r = EndpointRecord.decode(text).check(id, Instant.now(clock), config.maxAge());
                    listener.found(r.item(NAME));
                    found++;
                } catch (IllegalArgumentException bad) {
                    refused.add(bad.getMessage());
                }
            }
            if (found == 0 && !refused.isEmpty()) {
                listener.failed(new IOException("refused every record at " + name + ": " + refused));
            } else {
                listener.completed();
            }
        });
        return () -> sent.cancel(false);
    }

    @Override
    public String toString() {
        return "DnsDiscovery{" + config.zone() + " via " + config.server() + "}";
    }
}
