package org.quiver.identity.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.quiver.api.EndpointId;
import org.quiver.api.LocalIdentity;

/**
 * The {@link LocalIdentity} service: loads (or on first start creates) the node's key file. A key file
 * that exists but cannot be used fails activation with a message naming the file, and no identity service
 * appears: a node never runs under a different identity by accident. Immediate, so that a bad key file is
 * reported when the node starts, not at first use.
 */
@Component(name = IdentityComponent.PID, service = LocalIdentity.class, immediate = true,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = IdentityComponent.Config.class)
public final class IdentityComponent implements LocalIdentity {
    public static final String PID = "org.quiver.identity";
    /** Framework property naming the node's data folder. */
    public static final String HOME_PROPERTY = "quiver.home";
    static final String DEFAULT_FILE = "identity.key";

    @ObjectClassDefinition(name = "Quiver identity", description = "The node's Ed25519 identity key.")
    public @interface Config {
        @AttributeDefinition(name = "Key file", description = "Path of the PKCS#8 PEM key file. Empty: identity.key in "
                + "the node's folder (framework property quiver.home, else ~/.quiver). Created on first start.")
        String keyFile() default "";
    }

    private Ed25519Identity identity;

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        start(config, home(context.getProperty(HOME_PROPERTY), context.getProperty("karaf.data")));
    }

    /**
     * The node's folder: {@code quiver.home} when set (bin/quiver sets it), else {@code quiver/} in Karaf's data
     * folder (so that a Karaf node never shares a key with a plain node of the same user), else null (then
     * {@code ~/.quiver}).
     */
    static String home(String quiverHome, String karafData) {
        if (quiverHome != null && !quiverHome.isBlank()) {
            return quiverHome;
        }
        return karafData != null && !karafData.isBlank() ? Path.of(karafData, "quiver").toString() : null;
    }

    void start(Config config, String home) throws IOException {
        identity = KeyFile.loadOrCreate(keyFile(config, home));
    }

    static Path keyFile(Config config, String home) {
        if (!config.keyFile().isBlank()) {
            return Path.of(config.keyFile().strip());
        }
        Path base = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".quiver");
        return base.resolve(DEFAULT_FILE);
    }

    @Override
    public EndpointId id() {
        return identity.id();
    }

    @Override
    public byte[] sign(byte[] message) {
        return identity.sign(message);
    }

    @Override
    public byte[] sharedSecret(org.quiver.api.EndpointId peer) {
        return identity.sharedSecret(peer);
    }

    @Override
    public X509Certificate certificate() {
        return identity.certificate();
    }

    @Override
    public String toString() {
        return String.valueOf(identity);
    }
}
