package org.quiver.examples.upper;

import org.osgi.service.component.annotations.Component;
import org.quiver.api.Connection;
import org.quiver.api.ProtocolHandler;

/**
 * The OSGi face of {@link Upper}: a {@link ProtocolHandler} service for {@value Upper#ALPN}. Installing the bundle
 * into a running node is all it takes; uninstalling it stops new connections with that ALPN (live ones end when
 * their handler returns).
 */
@Component(name = "org.quiver.examples.upper", service = ProtocolHandler.class, property = ProtocolHandler.ALPN_PROPERTY + "=" + Upper.ALPN)
public final class UpperComponent implements ProtocolHandler {
    private final Upper upper = new Upper();

    @Override
    public void accept(Connection connection) throws Exception {
        upper.accept(connection);
    }
}
