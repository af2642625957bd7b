package org.quiver.shell.impl;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.quiver.api.Endpoint;
import org.quiver.api.EndpointAddr;
import org.quiver.api.LocalIdentity;

/**
 * Gogo commands in scope {@code quiver}. A thin layer over the API: each command calls the services and
 * returns text (Gogo prints it); a failure is an exception whose message says what went wrong, which makes
 * {@code bin/quiver -c} exit non-zero.
 */
@Component(
        name = "org.quiver.shell",
        service = QuiverCommands.class,
        immediate = true,
        property = {
            "osgi.command.scope=quiver",
            "osgi.command.function=id",
            "osgi.command.function=addr"
        })
public final class QuiverCommands {
    static final String NO_IDENTITY = "This node has no identity: the org.quiver.identity component is not active "
            + "(is its key file unusable? see the errors printed at start-up)";

    private volatile LocalIdentity identity;
    private volatile Endpoint endpoint;

    /** Optional, so that the commands can say why there is no identity instead of vanishing. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setIdentity(LocalIdentity i) {
        this.identity = i;
    }

    void unsetIdentity(LocalIdentity i) {
        if (this.identity == i) {
            this.identity = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setEndpoint(Endpoint e) {
        this.endpoint = e;
    }

    void unsetEndpoint(Endpoint e) {
        if (this.endpoint == e) {
            this.endpoint = null;
        }
    }

    @Descriptor("print this node's EndpointId (its Ed25519 public key, base32)")
    public String id() {
        return identity().id().toString();
    }

    @Descriptor("print this node's ticket: its id plus the relay and direct addresses it is reachable at")
    public String addr() {
        Endpoint e = endpoint;
        EndpointAddr addr = e != null ? e.addr().get() : EndpointAddr.of(identity().id());
        return addr.toTicket();
    }

    private LocalIdentity identity() {
        LocalIdentity i = identity;
        if (i == null) {
            throw new IllegalStateException(NO_IDENTITY);
        }
        return i;
    }
}
