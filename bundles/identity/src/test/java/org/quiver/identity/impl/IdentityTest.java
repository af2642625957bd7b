package org.quiver.identity.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quiver.api.EndpointId;

class IdentityTest {
    @TempDir
    Path dir;

    @Test
    void inKarafTheKeyLivesInKarafsDataFolderUnlessQuiverHomeIsSet() {
        assertThat(IdentityComponent.home("/srv/node", "/opt/karaf/data")).isEqualTo("/srv/node");
        assertThat(IdentityComponent.home(null, "/opt/karaf/data")).isEqualTo(java.nio.file.Path.of("/opt/karaf/data", "quiver").toString());
        assertThat(IdentityComponent.home(" ", null)).isNull();
    }

    @Test
    void certificateIsSelfSignedEd25519OfTheIdentityKey() throws Exception {
        Ed25519Identity identity = Ed25519Identity.generate();
        X509Certificate cert = identity.certificate();
        assertThat(cert.getPublicKey().getAlgorithm()).isIn("Ed25519", "EdDSA");
        assertThat(EndpointId.fromPublicKey(cert.getPublicKey())).isEqualTo(identity.id());
        cert.verify(cert.getPublicKey()); // self-signed: throws if not
        cert.checkValidity();
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=" + identity.id());
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
        assertThat(identity.toString()).contains(identity.id().toString());
    }

    @Test
    void signaturesAreTheJdksBytesAndVerify() throws Exception {
        // Ed25519 is deterministic (RFC 8032): the embedded signer must give exactly what the JDK's gives, for keys
        // and messages of every length that TLS and the records sign (empty, one byte, a transcript hash, 4 KiB)
        java.util.Random random = new java.util.Random(8032);
        for (int i = 0; i < 40; i++) {
            Ed25519Identity identity = Ed25519Identity.generate();
            byte[] message = new byte[new int[] {0, 1, 32, 64, 130, 4096}[i % 6]];
            random.nextBytes(message);
            java.security.Signature jdk = java.security.Signature.getInstance("Ed25519");
            jdk.initSign(java.security.KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(identity.pkcs8())));
            jdk.update(message);
            byte[] signature = identity.sign(message);
            assertThat(signature).isEqualTo(jdk.sign());
            assertThat(identity.id().verify(message, signature)).isTrue();
            message = message.length == 0 ? new byte[] {1} : message;
            message[0] ^= 1;
            assertThat(identity.id().verify(message, signature)).isFalse();
        }
    }

    @Test
    void certificateIsVersion3WithTheEd25519SignatureAlgorithm() {
        X509Certificate cert = Ed25519Identity.generate().certificate();
        assertThat(cert.getVersion()).isEqualTo(3);
        assertThat(cert.getSigAlgName()).isIn("Ed25519", "EdDSA");
        assertThat(cert.getSigAlgOID()).isEqualTo("1.3.101.112");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
        assertThat(cert.getSerialNumber().signum()).isPositive();
    }

    @Test
    void seedDerivationAgreesWithTheJdkGenerator() throws Exception {
        for (int i = 0; i < 50; i++) {
            java.security.KeyPair jdk = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            byte[] seed = ((java.security.interfaces.EdECPrivateKey) jdk.getPrivate()).getBytes().orElseThrow();
            java.security.KeyPair derived = Ed25519Identity.fromSeed(seed);
            assertThat(derived.getPublic().getEncoded()).isEqualTo(jdk.getPublic().getEncoded());
            assertThat(derived.getPrivate().getEncoded()).isEqualTo(jdk.getPrivate().getEncoded());
        }
        assertThatThrownBy(() -> Ed25519Identity.fromSeed(new byte[31])).hasMessageContaining("32 bytes, got 31");
    }

    @Test
    void derLengthsUseTheShortestForm() {
        assertThat(Der.tlv(0x04, new byte[0])).containsExactly(0x04, 0x00);
        assertThat(Der.tlv(0x04, new byte[127])).startsWith(0x04, 0x7f).hasSize(129);
        assertThat(Der.tlv(0x04, new byte[128])).startsWith(0x04, 0x81, 0x80).hasSize(131);
        assertThat(Der.tlv(0x04, new byte[256])).startsWith(0x04, 0x82, 0x01, 0x00).hasSize(260);
        assertThat(Der.tlv(0x04, new byte[70000])).startsWith(0x04, 0x83, 0x01, 0x11, 0x70);
        assertThat(Der.integer(java.math.BigInteger.valueOf(128))).containsExactly(0x02, 0x02, 0x00, 0x80);
        assertThat(new String(Der.time(Instant.parse("2049-12-31T23:59:59Z")), java.nio.charset.StandardCharsets.US_ASCII))
                .endsWith("491231235959Z");
        assertThat(Der.time(Instant.parse("2050-01-01T00:00:00Z"))[0]).isEqualTo((byte) Der.GENERALIZED_TIME);
    }

    @Test
    void pkcs8RoundTrips() throws Exception {
        Ed25519Identity identity = Ed25519Identity.generate();
        assertThat(Ed25519Identity.fromPkcs8(identity.pkcs8()).id()).isEqualTo(identity.id());
    }

    @Test
    void componentUsesTheConfiguredFileOrTheNodeFolder() throws Exception {
        assertThat(IdentityComponent.keyFile(config(" /x/k.pem "), "/home/n")).isEqualTo(Path.of("/x/k.pem"));
        assertThat(IdentityComponent.keyFile(config(""), "/home/n")).isEqualTo(Path.of("/home/n/identity.key"));
        assertThat(IdentityComponent.keyFile(config(""), null))
                .isEqualTo(Path.of(System.getProperty("user.home"), ".quiver", "identity.key"));

        IdentityComponent component = new IdentityComponent();
        component.start(config(""), dir.toString());
        assertThat(dir.resolve("identity.key")).exists();
        byte[] sig = component.sign(new byte[] {1, 2, 3});
        assertThat(component.id().verify(new byte[] {1, 2, 3}, sig)).isTrue();
        assertThat(EndpointId.fromPublicKey(component.certificate().getPublicKey())).isEqualTo(component.id());
        assertThat(component.toString()).contains(component.id().toString());

        IdentityComponent again = new IdentityComponent();
        again.start(config(""), dir.toString());
        assertThat(again.id()).isEqualTo(component.id());
    }

    @Test
    void componentRefusesACorruptKeyNamingTheFile() throws Exception {
        Path file = dir.resolve("identity.key");
        Files.writeString(file, "garbage");
        assertThatThrownBy(() -> new IdentityComponent().start(config(""), dir.toString()))
                .hasMessageContaining(file.toString());
        assertThat(Files.readString(file)).isEqualTo("garbage");
    }

    static IdentityComponent.Config config(String keyFile) {
        return new IdentityComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return IdentityComponent.Config.class;
            }

            @Override
            public String keyFile() {
                return keyFile;
            }
        };
    }
}
