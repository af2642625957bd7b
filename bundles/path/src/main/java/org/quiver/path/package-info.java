/**
 * Quiver's default path policy, as plain Java: {@link org.quiver.path.DefaultPathSelector} (RTT with
 * hysteresis, direct before relay, an IPv6 advantage), {@link org.quiver.path.CandidateSet} (a peer's
 * candidate paths with their probe state, RTT estimates, pruning and redundant-path closure) and
 * {@link org.quiver.path.FairOrder} (alternating receive order between direct and relay sources).
 * The transport uses these directly; the bundle also registers the selector as a low-ranked
 * {@link org.quiver.spi.path.PathSelector} service that any other selector may outrank.
 */
@Export
@Version("0.1.0")
package org.quiver.path;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
