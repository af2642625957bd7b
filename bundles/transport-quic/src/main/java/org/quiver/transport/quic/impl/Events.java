package org.quiver.transport.quic.impl;

import java.util.Map;
import org.quiver.api.CloseInfo;
import org.quiver.api.EndpointId;
import org.quiver.api.EventTopics;
import org.quiver.api.PathInfo;

/**
 * The endpoint's structured events ({@link EventTopics}): each carries the endpoint's id and the given properties
 * (null ones left out), and goes to the sink the endpoint was built with (EventAdmin's {@code postEvent} in a node).
 *
 * <p>Any thread (mostly the event loop, so the sink must not block); stateless apart from the sink. A sink that
 * throws loses that event, nothing else.
 */
final class Events {
    private final EndpointId self;
    private final java.util.function.BiConsumer<String, Map<String, Object>> sink;

    Events(EndpointId self, java.util.function.BiConsumer<String, Map<String, Object>> sink) {
        this.self = self;
        this.sink = sink;
    }

    /** Posts {@code topic} with properties given as key, value, key, value, ... */
    void post(String topic, Object... keyValues) {
        Map<String, Object> props = new java.util.HashMap<>();
        props.put(EventTopics.ENDPOINT_ID, self.toString());
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                props.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        try {
            sink.accept(topic, props);
        } catch (RuntimeException e) {
            // an event sink's failure is not the transport's
        }
    }

    /** A connection opened ({@code close} null) or closed. */
    void connection(String topic, QuicConnectionImpl c, CloseInfo close) {
        PathInfo path = c.path().get();
        post(topic, EventTopics.PEER_ID, c.remoteId().toString(), EventTopics.ALPN, c.alpn(),
                EventTopics.DIALER, c.isDialer(), EventTopics.PATH, path.remote(), EventTopics.PATH_KIND, path.kind().name(),
                EventTopics.CAUSE, close == null ? null : close.cause().name(),
                EventTopics.CODE, close == null ? null : close.code(),
                EventTopics.REASON, close == null ? null : close.reason());
    }
}
