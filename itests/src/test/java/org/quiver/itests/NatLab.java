package org.quiver.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A network lab of real Linux NAT: an "internet" namespace that forwards between its links (198.18.0.0/16,
 * no NAT), the standalone relay (bin/quiver-relay, with its STUN responder) on it, and distribution nodes,
 * each either on the internet itself or behind its own home router namespace (LAN 198.19.N.0/24) doing
 * one kind of {@link Nat} with iptables. Routers behave as home routers do: nothing unsolicited from the
 * WAN reaches the router itself or the LAN (only ESTABLISHED,RELATED), so an early punch is dropped rather
 * than leaving a conntrack entry that would steal the port mapping the other side's punch needs.
 *
 * <pre>
 *   relay 198.18.0.2 ---+
 *                       |  inet (forwards)
 *   node  198.18.1.2 ---+---- 198.18.2.2 router --NAT-- 198.19.2.1 --- 198.19.2.2 node
 * </pre>
 *
 * A lab made {@linkplain #NatLab(Path, boolean) with IPv6} also carries IPv6 on every link: the internet's links
 * fd51:N::/64, the relay at fd51::2 (bound to {@code ::}, so it serves both families), home LANs fd52:N::/64 behind
 * routers that forward IPv6 without NAT but with the same stateful filter (nothing unsolicited in), as home
 * routers do; each node is {@link Family IPv4-only, dual-stack or IPv6-only}.
 *
 * Closing kills every process and deletes every namespace, also when a test failed. Needs root, iproute2,
 * iptables and (with IPv6) ip6tables.
 */
final class NatLab implements AutoCloseable {
    /** How a node reaches the internet. */
    enum Nat {
        /** On the internet with its own address. */
        PUBLIC("public"),
        /** Endpoint-independent mapping, port-restricted filtering: iptables MASQUERADE (the port kept when free). */
        EIM("port-restricted"),
        /** A new random port for every destination: MASQUERADE --random-fully. */
        SYMMETRIC("symmetric"),
        /** Only TCP gets out (MASQUERADE, every UDP packet dropped): the relay over WebSocket is all there is. */
        UDP_BLOCKED("udp-blocked");

        final String label;

        Nat(String label) {
            this.label = label;
        }
    }

    /** The address families a node has addresses of. */
    enum Family {
        V4(true, false), DUAL(true, true), V6(false, true);

        final boolean v4;
        final boolean v6;

        Family(boolean v4, boolean v6) {
            this.v4 = v4;
            this.v6 = v6;
        }
    }

    static final String RELAY_IP = "198.18.0.2";
    static final String RELAY_URL = "ws://" + RELAY_IP + ":3340/relay";
    static final String RELAY_IP6 = "fd51::2";
    /** The relay's URL for nodes with IPv6 (dual-stack ones too: an IPv6-only peer reaches them at the relay they name). */
    static final String RELAY_URL6 = "ws://[" + RELAY_IP6 + "]:3340/relay";

    /** A node of the lab: its namespace, its router's (if any), its home folder and its running shell. */
    static final class LabNode {
        final String name;
        final Nat nat;
        final Family family;
        final String ns;
        final String router;
        final String wanDev;
        final Path home;
        final int index;
        /** The lab index of the router the node is behind now (its {@link #index} until {@link NatLab#move}). */
        int lan;
        Node.Interactive shell;
        String id;

        LabNode(String name, int index, Nat nat, Family family, String ns, String router, String wanDev, Path home) {
            this.name = name;
            this.index = index;
            this.lan = index;
            this.nat = nat;
            this.family = family;
            this.ns = ns;
            this.router = router;
            this.wanDev = wanDev;
            this.home = home;
        }

        /** The relay URL the node is configured with. */
        String relayUrl() {
            return family.v6 ? RELAY_URL6 : RELAY_URL;
        }

        @Override
        public String toString() {
            return name + " (" + nat.label + (family == Family.V4 ? "" : ", " + family) + ")";
        }
    }

    private final Netns net = new Netns();
    private final Path dir;
    private final String inet;
    private final boolean ipv6;
    private final Map<String, LabNode> nodes = new LinkedHashMap<>();
    private final ByteArrayOutputStream relayOut = new ByteArrayOutputStream();
    private Process relay;
    private int next = 1;

    /** Builds the internet (IPv4 only) and the relay's namespace; nodes come with {@link #node}. */
    NatLab(Path dir) throws IOException, InterruptedException {
        this(dir, false);
    }

    /** Builds the internet and the relay's namespace, with IPv6 on every link if {@code ipv6}; nodes come with {@link #node}. */
    NatLab(Path dir, boolean ipv6) throws IOException, InterruptedException {
        this.dir = dir;
        this.ipv6 = ipv6;
        try {
            inet = net.add("inet");
            forward(inet);
            String r = net.add("relay");
            String[] devs = net.link(inet, "198.18.0.1/24", r, RELAY_IP + "/24");
            net.defaultRoute(r, "198.18.0.1");
            if (ipv6) {
                Netns.address(inet, devs[0], "fd51::1/64");
                Netns.address(r, devs[1], RELAY_IP6 + "/64");
                net.defaultRoute(r, "fd51::1");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /** {@code ns} forwards IPv4 and, in a lab with IPv6, IPv6. */
    private void forward(String ns) throws IOException, InterruptedException {
        Netns.sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        if (ipv6) {
            Netns.sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        }
    }

    /**
     * Starts bin/quiver-relay (WebSocket 3340, STUN 3478 and 3479) in the relay's namespace, on both families in a lab
     * with IPv6; returns once it listens.
     */
    void startRelay() throws Exception {
        relay = RelayNetnsIT.relay(net.full("relay"), ipv6 ? "::" : RELAY_IP, 3478, relayOut);
    }

    /**
     * Adds a node {@code name} behind {@code nat} (its namespace, its router if any, its home folder with
     * the relay configured and {@code endpointConfig} lines) without starting it.
     */
    LabNode node(String name, Nat nat, String endpointConfig) throws IOException, InterruptedException {
        return node(name, nat, Family.V4, endpointConfig);
    }

    /**
     * Adds a node as {@link #node(String, Nat, String)} does with addresses of {@code family} (IPv6 ones only in a lab
     * made with IPv6). Behind a router, the router does {@code nat} for IPv4 and only its filter for IPv6.
     */
    LabNode node(String name, Nat nat, Family family, String endpointConfig) throws IOException, InterruptedException {
        if (family.v6 && !ipv6) {
            throw new IllegalArgumentException("an IPv6 node in a lab without IPv6");
        }
        int n = next++;
        String ns = net.add(name);
        String router = null;
        String wanDev = null;
        String wan = "198.18." + n + ".2";
        if (nat == Nat.PUBLIC) {
            link(inet, "198.18." + n + ".1", "fd51:" + n + "::1", ns, wan, "fd51:" + n + "::2", family);
        } else {
            router = router(name + "-gw", n, nat, ns, family);
            wanDev = Netns.dev(router, wan);
        }
        Path home = dir.resolve(name);
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), endpointConfig);
        LabNode node = new LabNode(name, n, nat, family, ns, router, wanDev, home);
        Files.writeString(home.resolve("conf/org.quiver.relay.client-lab.cfg"), "url = " + node.relayUrl() + "\n");
        nodes.put(name, node);
        return node;
    }

    /**
     * Adds a host {@code name} on the internet (no node runs there) that holds the whole IPv6 /64 {@code prefix} (as
     * {@code "fd53:9::"}): the internet routes it there and the host may bind any of its addresses (a local route on
     * lo, {@code ip_nonlocal_bind}), as an attacker with a /64 of its own can. Returns its namespace.
     */
    String slash64Host(String name, String prefix) throws IOException, InterruptedException {
        if (!ipv6) {
            throw new IllegalStateException("an IPv6 host in a lab without IPv6");
        }
        int n = next++;
        String ns = net.add(name);
        link(inet, "198.18." + n + ".1", "fd51:" + n + "::1", ns, "198.18." + n + ".2", "fd51:" + n + "::2", Family.V6);
        Netns.sh("ip", "-n", ns, "-6", "route", "add", "local", prefix + "/64", "dev", "lo");
        Netns.sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.ip_nonlocal_bind=1");
        Netns.route(inet, prefix + "/64", "fd51:" + n + "::2");
        return ns;
    }

    /**
     * Makes router namespace {@code name} for lab index {@code n}: WAN 198.18.n.2 on the internet, LAN 198.19.n.1 to
     * {@code lanNs} (which gets 198.19.n.2 and its default route through it), doing {@code nat} as a home router does.
     */
    private String router(String name, int n, Nat nat, String lanNs, Family family) throws IOException, InterruptedException {
        String router = net.add(name);
        String wan = "198.18." + n + ".2";
        String[] wanDevs = link(inet, "198.18." + n + ".1", "fd51:" + n + "::1", router, wan, "fd51:" + n + "::2", ipv6 ? Family.DUAL : Family.V4);
        String[] lanDevs = link(router, "198.19." + n + ".1", "fd52:" + n + "::1", lanNs, "198.19." + n + ".2", "fd52:" + n + "::2", family);
        natRules(router, wanDevs[1], lanDevs[0], nat);
        if (ipv6) {
            Netns.route(inet, "fd52:" + n + "::/64", "fd51:" + n + "::2");
            firewall6(router, wanDevs[1], lanDevs[0], nat);
        }
        return router;
    }

    /**
     * Links {@code up} (the side nearer the internet, the gateway) and {@code down} with the IPv4 addresses (/24) and
     * IPv6 addresses (/64) {@code family} has, and routes {@code down}'s traffic of each family through {@code up}.
     */
    private String[] link(String up, String up4, String up6, String down, String down4, String down6, Family family)
            throws IOException, InterruptedException {
        String[] devs = family.v4 ? net.link(up, up4 + "/24", down, down4 + "/24") : net.link(up, up6 + "/64", down, down6 + "/64");
        if (family.v4) {
            net.defaultRoute(down, up4);
        }
        if (family.v6) {
            if (family.v4) {
                Netns.address(up, devs[0], up6 + "/64");
                Netns.address(down, devs[1], down6 + "/64");
            }
            net.defaultRoute(down, up6);
        }
        return devs;
    }

    /** The home router's rules on {@code router}: masquerading out of {@code wanDev} as {@code nat} does, nothing unsolicited in. */
    private void natRules(String router, String wanDev, String lanDev, Nat nat) throws IOException, InterruptedException {
        forward(router);
        List<List<String>> rules = new ArrayList<>();
        List<String> masquerade = new ArrayList<>(List.of("-t", "nat", "-A", "POSTROUTING", "-o", wanDev, "-j", "MASQUERADE"));
        if (nat == Nat.SYMMETRIC) {
            masquerade.add("--random-fully");
        }
        rules.add(masquerade);
        rules.addAll(filter(wanDev, lanDev, nat));
        apply(router, "iptables", rules);
    }

    /**
     * The IPv6 side of a home router on {@code router}: forwarding without NAT (every LAN host has its own address), with
     * the IPv4 side's stateful filter; neighbour discovery (ICMPv6) reaches the router.
     */
    private static void firewall6(String router, String wanDev, String lanDev, Nat nat) throws IOException, InterruptedException {
        List<List<String>> rules = new ArrayList<>();
        rules.add(List.of("-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"));
        rules.addAll(filter(wanDev, lanDev, nat));
        apply(router, "ip6tables", rules);
    }

    /**
     * A home router's stateful filter, either family: out from the LAN goes, in only what answers it (UDP not even that
     * for {@code UDP_BLOCKED}); nothing unsolicited reaches the router itself.
     */
    private static List<List<String>> filter(String wanDev, String lanDev, Nat nat) {
        List<List<String>> rules = new ArrayList<>();
        if (nat == Nat.UDP_BLOCKED) {
            rules.add(List.of("-A", "FORWARD", "-p", "udp", "-j", "DROP"));
        }
        rules.add(List.of("-A", "FORWARD", "-i", lanDev, "-o", wanDev, "-j", "ACCEPT"));
        rules.add(List.of("-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"));
        rules.add(List.of("-P", "FORWARD", "DROP"));
        rules.add(List.of("-A", "INPUT", "-i", "lo", "-j", "ACCEPT"));
        rules.add(List.of("-A", "INPUT", "-i", lanDev, "-j", "ACCEPT"));
        rules.add(List.of("-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"));
        rules.add(List.of("-P", "INPUT", "DROP"));
        return rules;
    }

    /** Runs {@code tool} (iptables or ip6tables) in {@code router} once per rule, in order. */
    private static void apply(String router, String tool, List<List<String>> rules) throws IOException, InterruptedException {
        for (List<String> rule : rules) {
            List<String> command = new ArrayList<>(Netns.in(router));
            command.add(tool);
            command.addAll(rule);
            Netns.sh(command.toArray(String[]::new));
        }
    }

    /**
     * Moves {@code node} (behind a router) to a new router doing {@code nat}, as a laptop moves from one Wi-Fi to
     * another: the new router and its link to the node are made first (the node has a second address for a moment),
     * then the node's link to its old router is deleted (its old address and default route go with it) and its
     * default route set through the new one. The node's process is
     * not told; it may be moved again. Returns the new router's namespace; the node's fields but {@code lan} still name its
     * first router (its uplink, {@link #blackholeUdp}), which stays in the lab.
     */
    String move(LabNode node, Nat nat) throws IOException, InterruptedException {
        if (node.family != Family.V4) {
            throw new IllegalArgumentException("only an IPv4 node moves: " + node);
        }
        int n = next++;
        String oldDev = Netns.dev(node.ns, "198.19." + node.lan + ".2");
        String router = net.add(node.name + "-gw" + n);
        String wan = "198.18." + n + ".2";
        net.link(inet, "198.18." + n + ".1/24", router, wan + "/24");
        net.defaultRoute(router, "198.18." + n + ".1");
        net.link(router, "198.19." + n + ".1/24", node.ns, "198.19." + n + ".2/24");
        // the rules before any packet of the node's passes: conntrack keeps the first packet's NAT decision for its flow
        natRules(router, Netns.dev(router, wan), Netns.dev(router, "198.19." + n + ".1"), nat);
        Netns.sh("ip", "-n", node.ns, "link", "del", oldDev);
        net.defaultRoute(node.ns, "198.19." + n + ".1");
        node.lan = n;
        return router;
    }

    /**
     * Starts every node not started yet, then waits until each is at the relay and knows its id; the lab's nodes take
     * files from each other (files are opt-in: each owner says {@code quiver:accept}).
     */
    void startNodes() throws Exception {
        for (LabNode n : nodes.values()) {
            if (n.shell == null) {
                n.shell = new Node.Interactive(Netns.in(n.ns), "--home", n.home.toString());
            }
        }
        for (LabNode n : nodes.values()) {
            if (n.id == null) {
                n.shell.typeUntil("quiver:status", "home relay: " + n.relayUrl(), 60);
                n.id = n.shell.answer("quiver:id", "[a-z2-7]{52,}", 10);
            }
        }
        for (LabNode n : nodes.values()) {
            for (LabNode m : nodes.values()) {
                if (m != n) {
                    n.shell.typeUntil("quiver:accept " + m.id, "are taken", 10);
                }
            }
        }
    }

    /**
     * Drops every UDP datagram between {@code node} and the internet, both ways, where it is forwarded (its
     * router, or the internet for a public node): its direct paths die silently, TCP to the relay lives.
     */
    void blackholeUdp(LabNode node) throws IOException, InterruptedException {
        udpRules(node, List.of("-I", "FORWARD", "1"));
    }

    /** Lifts {@link #blackholeUdp}. */
    void restoreUdp(LabNode node) throws IOException, InterruptedException {
        udpRules(node, List.of("-D", "FORWARD"));
    }

    private void udpRules(LabNode node, List<String> op) throws IOException, InterruptedException {
        List<List<String>> rules = node.router != null ? List.of(List.of("-p", "udp", "-j", "DROP"))
                : List.of(List.of("-p", "udp", "-s", wanOf(node), "-j", "DROP"), List.of("-p", "udp", "-d", wanOf(node), "-j", "DROP"));
        for (List<String> rule : rules) {
            List<String> command = new ArrayList<>(Netns.in(node.router != null ? node.router : inet));
            command.add("iptables");
            command.addAll(op);
            command.addAll(rule);
            Netns.sh(command.toArray(String[]::new));
        }
    }

    /**
     * A NAT rebinding on {@code node}'s router, as when a home router reboots or times a mapping out: its UDP mappings are
     * flushed (conntrack) and from now on it maps UDP to ports {@code 20000-20999} (which no mapping had: MASQUERADE
     * keeps a free port, so without this the new mapping would be the old one). The node's address does not change and
     * it is not told; its peers see its datagrams come from a new port. TCP (the relay) is left alone.
     */
    void rebind(LabNode node) throws IOException, InterruptedException {
        Netns.sh("ip", "netns", "exec", node.router, "iptables", "-t", "nat", "-I", "POSTROUTING", "1", "-o", node.wanDev, "-p", "udp",
                "-j", "MASQUERADE", "--to-ports", "20000-20999");
        // deletes every UDP entry; exits 1 when there was none, which a test calling this would not expect either
        Netns.sh("ip", "netns", "exec", node.router, "conntrack", "-D", "-p", "udp");
    }

    /**
     * Limits what {@code node}'s router sends to the internet to {@code rate} (tc tbf, for example "100mbit"):
     * a home uplink, slow enough that a transfer lasts seconds. Relay and direct traffic share it.
     */
    void uplink(LabNode node, String rate) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(Netns.in(node.router));
        command.addAll(List.of("tc", "qdisc", "add", "dev", node.wanDev, "root", "tbf", "rate", rate, "burst", "64kb", "latency", "100ms"));
        Netns.sh(command.toArray(String[]::new));
    }

    private static String wanOf(LabNode node) {
        return "198.18." + node.index + ".2";
    }

    /** The lab's layout, one line per node. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (LabNode n : nodes.values()) {
            sb.append(String.format(Locale.ROOT, "  %-8s %-16s %s%n", n.name, n.nat.label, n.router == null ? "on the internet" : "behind " + n.router));
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        for (LabNode n : nodes.values()) {
            if (n.shell != null) {
                n.shell.close();
            }
        }
        if (relay != null) {
            relay.destroyForcibly();
        }
        net.close();
    }
}
