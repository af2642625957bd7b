package org.quiver.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The built distribution: where it is and which bundles it runs. */
final class NodeBundles {
    private NodeBundles() {
    }

    static Path dist() {
        String dir = System.getProperty("quiver.dist");
        if (dir == null) {
            throw new IllegalStateException("system property quiver.dist is not set (run the tests with Maven)");
        }
        Path path = Path.of(dir).toAbsolutePath().normalize();
        if (!Files.isDirectory(path.resolve("bundle"))) {
            throw new IllegalStateException("no built distribution at " + path + " (build the distribution module first)");
        }
        return path;
    }

    /** Whether the bundle at {@code url} is a fragment (it must not be started). */
    static boolean isFragment(String url) {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(Path.of(java.net.URI.create(url)).toFile())) {
            return jar.getManifest().getMainAttributes().getValue("Fragment-Host") != null;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every bundle of the distribution, as file: URLs, in the order the launcher installs them. */
    static List<String> bundleUrls() {
        try (Stream<Path> files = Files.list(dist().resolve("bundle"))) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().map(p -> p.toUri().toString()).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The node's Endpoint service once it is bound to loopback, or null after 20 s. Without start levels (Pax
     * Exam) the endpoint may start before fileinstall applies conf/ and restart once it has: waiting for the
     * loopback-bound instance makes sure a test sends nowhere else.
     */
    static org.quiver.api.Endpoint loopbackEndpoint(org.osgi.framework.BundleContext context) throws InterruptedException {
        org.osgi.util.tracker.ServiceTracker<org.quiver.api.Endpoint, org.quiver.api.Endpoint> tracker =
                new org.osgi.util.tracker.ServiceTracker<>(context, org.quiver.api.Endpoint.class, null);
        tracker.open();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                org.quiver.api.Endpoint e = tracker.waitForService(1000);
                if (e != null && e.boundAddresses().get().get(0).getAddress().isLoopbackAddress()) {
                    return e;
                }
                Thread.sleep(50);
            }
            return null;
        } finally {
            tracker.close();
        }
    }

    /**
     * The options of a Pax Exam container that runs the distribution's bundles as a node would: a fresh node
     * folder, the endpoint on loopback only (tests send nowhere else), the console shell neither reading the test
     * JVM's stdin (failsafe talks to it there) nor stopping the framework, and JUnit.
     */
    static org.ops4j.pax.exam.Option[] containerOptions(String name) throws IOException {
        Path home = Files.createTempDirectory(name);
        List<org.ops4j.pax.exam.Option> options = new java.util.ArrayList<>();
        for (String url : bundleUrls()) {
            options.add(org.ops4j.pax.exam.CoreOptions.bundle(url).start(!isFragment(url)));
        }
        Path conf = Files.createDirectories(home.resolve("conf"));
        Files.writeString(conf.resolve("org.quiver.endpoint.cfg"), "bindAddress = 127.0.0.1\nprobeIntervalMillis = 200\n");
        Files.writeString(conf.resolve("org.quiver.metrics.cfg"), "port = 0\n");
        options.add(org.ops4j.pax.exam.CoreOptions.frameworkProperty("felix.fileinstall.dir").value(conf.toString()));
        options.add(org.ops4j.pax.exam.CoreOptions.frameworkProperty("gosh.args").value("--nointeractive --noshutdown"));
        options.add(org.ops4j.pax.exam.CoreOptions.frameworkProperty("quiver.home").value(home.toString()));
        options.add(org.ops4j.pax.exam.CoreOptions.junitBundles());
        return options.toArray(new org.ops4j.pax.exam.Option[0]);
    }
}
