/**
 * Quiver's public API: endpoint ids and addresses, tickets, the endpoint, connections and streams,
 * protocol handlers and watchable state. Nothing here exposes a Netty type.
 *
 * <h2>Threads</h2>
 * <ul>
 * <li>The futures returned by {@code Endpoint.connect}, {@code Connection.openBi}/{@code openUni}/
 * {@code acceptBi}/{@code acceptUni}/{@code receiveDatagram}/{@code closed}, and stream reads and writes complete
 * on the endpoint's event loop (one thread per endpoint, which carries every connection of it). A continuation
 * attached without an executor ({@code thenApply}, {@code whenComplete}, ...) runs there: it must be short and
 * must never block. Use the {@code ...Async(fn, executor)} forms for anything slow.</li>
 * <li>Blocking views ({@link org.quiver.api.Blocking#await}, a stream's {@code inputStream()} and
 * {@code outputStream()}) are for ordinary threads. On an event loop they throw {@link IllegalStateException}
 * at once (a wait there would wait for itself).</li>
 * <li>{@code ProtocolHandler.accept} runs on a handler thread of the endpoint's pool, never on the event loop:
 * it may block, and the blocking views work there.</li>
 * <li>{@link org.quiver.api.Watchable} watchers are told on the thread that changed the value, never under
 * one of the endpoint's locks; {@code Endpoint.send} completes its stage on the event loop or a handler
 * thread.</li>
 * <li>Every method of the API may be called from any thread.</li>
 * </ul>
 */
@Export
@Version("0.7.0")
package org.quiver.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
