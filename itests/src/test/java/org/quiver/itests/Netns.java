package org.quiver.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces a test creates and always deletes (also when it fails): named {@code qv<pid>-<name>},
 * linked by veth pairs, with addresses from 198.18.0.0/15 and, for IPv6, unique local fd51::/16 and fd52::/16 only.
 * Needs root and iproute2.
 */
final class Netns implements AutoCloseable {
    private final String prefix = "qv" + ProcessHandle.current().pid() + "-";
    private final List<String> created = new ArrayList<>();

    /** Creates namespace {@code name} with its loopback up; returns its full name. */
    String add(String name) throws IOException, InterruptedException {
        String ns = prefix + name;
        sh("ip", "netns", "add", ns);
        created.add(ns);
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        // no duplicate address detection on its links (no other host is on them): an IPv6 address, the link-local
        // one too, works as soon as its link is up, not a second or two later
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0");
        return ns;
    }

    /** The full name of namespace {@code name} made by {@link #add}. */
    String full(String name) {
        return prefix + name;
    }

    /** The interface of {@code ns} that holds {@code address}. */
    static String dev(String ns, String address) throws IOException, InterruptedException {
        return sh("ip", "-n", ns, "-o", "addr", "show", "to", address).trim().split("\\s+")[1];
    }

    /**
     * Links {@code a} and {@code b} with a veth pair and gives each end its address (CIDR, IPv4 or IPv6); returns the
     * two interfaces' names ({@code a}'s first).
     */
    String[] link(String a, String addrA, String b, String addrB) throws IOException, InterruptedException {
        String ifA = "v" + Integer.toHexString((a + b).hashCode() & 0xfffffff);
        String ifB = "w" + Integer.toHexString((a + b).hashCode() & 0xfffffff);
        sh("ip", "link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
        address(a, ifA, addrA);
        address(b, ifB, addrB);
        sh("ip", "-n", a, "link", "set", ifA, "multicast", "on", "up");
        sh("ip", "-n", b, "link", "set", ifB, "multicast", "on", "up");
        return new String[] {ifA, ifB};
    }

    /** Gives {@code dev} in {@code ns} one more address (CIDR); an IPv6 one without duplicate address detection (nodad). */
    static void address(String ns, String dev, String cidr) throws IOException, InterruptedException {
        if (cidr.contains(":")) {
            sh("ip", "-n", ns, "addr", "add", cidr, "dev", dev, "nodad");
        } else {
            sh("ip", "-n", ns, "addr", "add", cidr, "dev", dev);
        }
    }

    /** Routes {@code prefix} (CIDR, IPv4 or IPv6) from {@code ns} via {@code gateway}. */
    static void route(String ns, String prefix, String gateway) throws IOException, InterruptedException {
        sh("ip", "-n", ns, prefix.contains(":") ? "-6" : "-4", "route", "add", prefix, "via", gateway);
    }

    /** Sends {@code ns}'s multicast (mDNS) out of the link to {@code address}'s subnet. */
    void multicastVia(String ns, String address) throws IOException, InterruptedException {
        sh("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", dev(ns, address));
    }

    /** Routes everything of {@code gateway}'s family (IPv4 or IPv6) from {@code ns} via {@code gateway}. */
    void defaultRoute(String ns, String gateway) throws IOException, InterruptedException {
        sh("ip", "-n", ns, gateway.contains(":") ? "-6" : "-4", "route", "add", "default", "via", gateway);
    }

    /** The command prefix that runs a program inside {@code ns}. */
    static List<String> in(String ns) {
        return List.of("ip", "netns", "exec", ns);
    }

    /** Runs a command; fails with its output when it exits non-zero. Returns its output. */
    static String sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    /** Kills whatever still runs in the namespaces and deletes them. */
    @Override
    public void close() throws IOException {
        IOException failed = null;
        for (String ns : created) {
            try {
                for (String pid : sh("ip", "netns", "pids", ns).split("\\s+")) {
                    if (!pid.isBlank()) {
                        new ProcessBuilder("kill", "-9", pid.strip()).start().waitFor();
                    }
                }
                sh("ip", "netns", "del", ns);
            } catch (IOException e) {
                failed = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed = new IOException("interrupted while deleting " + ns, e);
            }
        }
        created.clear();
        if (failed != null) {
            throw failed;
        }
    }
}
