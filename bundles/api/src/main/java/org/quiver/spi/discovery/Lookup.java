package org.quiver.spi.discovery;

import org.osgi.annotation.versioning.ConsumerType;

/** A running lookup; {@link #cancel()} stops it (idempotent, never throws). */
@ConsumerType
@FunctionalInterface
public interface Lookup {
    void cancel();
}
