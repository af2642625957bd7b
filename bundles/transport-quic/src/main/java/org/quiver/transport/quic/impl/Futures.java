package org.quiver.transport.quic.impl;

import io.netty.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;
import org.quiver.api.QuiverException;

/** Netty futures as CompletionStages, with failures as {@link QuiverException}s that say what failed. */
final class Futures {
    private Futures() {
    }

    static <T> CompletableFuture<T> adapt(Future<T> future, String what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.addListener(f -> {
            if (f.isSuccess()) {
                result.complete(future.getNow());
            } else {
                result.completeExceptionally(failure(what, f.cause()));
            }
        });
        return result;
    }

    static QuiverException failure(String what, Throwable cause) {
        if (cause instanceof QuiverException) {
            return (QuiverException) cause;
        }
        String detail = cause == null ? "cancelled" : cause instanceof io.netty.handler.codec.quic.QuicClosedChannelException closed
                ? closeReason(closed.event()) : cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new QuiverException(what + ": " + detail, cause);
    }

    /** The TLS alert a connection close carries (RFC 9001 4.8: QUIC error 0x100 + alert), or -1. */
    static int tlsAlert(Throwable cause) {
        return cause instanceof io.netty.handler.codec.quic.QuicClosedChannelException closed ? tlsAlert(closed.event()) : -1;
    }

    /** The TLS alert of {@code e} (RFC 9001 4.8: QUIC error 0x100 + alert), or -1. */
    static int tlsAlert(io.netty.handler.codec.quic.QuicConnectionCloseEvent e) {
        return e != null && !e.isApplicationClose() && e.isTlsError()
                ? io.netty.handler.codec.quic.QuicConnectionCloseEvent.extractTlsError(e.error()) : -1;
    }

    /** A dial the peer closed during its handshake ({@code e}), said for people. */
    static QuiverException refused(String what, io.netty.handler.codec.quic.QuicConnectionCloseEvent e) {
        return new QuiverException(what + ": " + closeReason(e));
    }

    /** What a connection close says, for people: a TLS alert by name, else the code and reason. */
    private static String closeReason(io.netty.handler.codec.quic.QuicConnectionCloseEvent e) {
        if (e == null) {
            return "the connection closed";
        }
        if (!e.isApplicationClose() && e.isTlsError()) {
            int alert = io.netty.handler.codec.quic.QuicConnectionCloseEvent.extractTlsError(e.error());
            return "the TLS handshake failed with alert " + alert + " (" + alertName(alert) + ")";
        }
        String reason = e.reason() == null ? "" : new String(e.reason(), java.nio.charset.StandardCharsets.UTF_8);
        return "closed with " + (e.isApplicationClose() ? "application" : "transport") + " code 0x" + Integer.toHexString(e.error())
                + (reason.isEmpty() ? "" : ": " + reason);
    }

    private static String alertName(int alert) {
        return switch (alert) {
            case 40 -> "handshake_failure";
            case 42 -> "bad_certificate";
            case 43 -> "unsupported_certificate";
            case 46 -> "certificate_unknown";
            case 48 -> "unknown_ca";
            case 70 -> "protocol_version";
            case 71 -> "insufficient_security";
            case 80 -> "internal_error";
            case 109 -> "missing_extension";
            case 116 -> "certificate_required";
            case 120 -> "no_application_protocol";
            default -> "see RFC 8446 6";
        };
    }
}
