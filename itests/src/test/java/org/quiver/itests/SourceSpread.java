package org.quiver.itests;

import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An attacker holding an IPv6 /64, as a program of its own run inside the attacker's namespace (which routes the /64
 * to itself and may bind any address of it: {@code ip -6 route add local P/64 dev lo}, {@code ip_nonlocal_bind}): every
 * connection or request comes from another address of the /64, so that a limit counted per address would never bind.
 * <ul>
 *   <li>{@code tcp HOST PORT PREFIX N}: opens N TCP connections, each from its own address, and holds them 2 s;
 *   prints {@code closed=C open=O}: how many the server closed at once.</li>
 *   <li>{@code stun HOST PORT PREFIX N}: sends N STUN binding requests, each from its own address, and prints
 *   {@code answered=A}: how many were answered within 2 s.</li>
 * </ul>
 * Every loop is bounded by N (at most 2,000) and the 2 s waits. Started by {@link #run}.
 */
public final class SourceSpread {
    private SourceSpread() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2]));
        String prefix = args[3];
        int n = Math.min(2000, Integer.parseInt(args[4]));
        if (mode.equals("tcp")) {
            tcp(target, prefix, n);
        } else {
            stun(target, prefix, n);
        }
    }

    /** The i-th address of the /64 {@code prefix} ("fd53:9::"): interface id i + 1. */
    private static InetAddress source(String prefix, int i) throws Exception {
        return InetAddress.getByName(prefix + Integer.toHexString(i + 1));
    }

    private static void tcp(InetSocketAddress target, String prefix, int n) throws Exception {
        List<Socket> all = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Socket s = new Socket();
                all.add(s);
                s.bind(new InetSocketAddress(source(prefix, i), 0));
                s.connect(target, 2000);
                s.setSoTimeout(1);
            }
            Thread.sleep(2000);
            int closed = 0;
            for (Socket s : all) {
                try {
                    InputStream in = s.getInputStream();
                    if (in.read() < 0) {
                        closed++;
                    }
                } catch (SocketTimeoutException open) {
                    // nothing to read and not closed: the server kept it
                } catch (java.io.IOException reset) {
                    closed++;
                }
            }
            System.out.println("closed=" + closed + " open=" + (n - closed));
        } finally {
            for (Socket s : all) {
                s.close();
            }
        }
    }

    private static void stun(InetSocketAddress target, String prefix, int n) throws Exception {
        List<DatagramSocket> all = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress(source(prefix, i), 0));
                all.add(s);
                ByteBuffer request = ByteBuffer.allocate(20);
                request.putShort((short) 0x0001).putShort((short) 0).putInt(0x2112A442); // binding request, no attributes
                request.putLong(0x5150000000000000L | i).putInt(i); // transaction id
                s.send(new DatagramPacket(request.array(), 20, target));
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            int answered = 0;
            byte[] buf = new byte[1500];
            for (DatagramSocket s : all) {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                s.setSoTimeout((int) Math.min(left, 2000));
                try {
                    s.receive(new DatagramPacket(buf, buf.length));
                    answered++;
                } catch (SocketTimeoutException none) {
                    // not answered
                }
            }
            System.out.println("answered=" + answered);
        } finally {
            for (DatagramSocket s : all) {
                s.close();
            }
        }
    }

    /** Runs {@link #main} with {@code args} in namespace {@code ns}; returns what it printed. */
    static String run(String ns, String... args) throws Exception {
        List<String> command = new ArrayList<>(Netns.in(ns));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-cp", Path.of(SourceSpread.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                SourceSpread.class.getName()));
        command.addAll(List.of(args));
        return Netns.sh(command.toArray(String[]::new)).strip();
    }
}
