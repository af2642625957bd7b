package org.quiver.transport.quic.impl;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;

/**
 * A NAT for tests, on loopback: the client sends to {@link #address()}, the NAT forwards to the server from an
 * outside socket, and answers that reach the outside socket go back to the client. {@link #rebind()} replaces
 * the outside socket with a new one (a new port), as a NAT does when its mapping times out or the router
 * restarts: from then on the server sees the client at another address, and what it sends to the old one is
 * lost. Its threads end on {@link #close()}.
 */
final class RebindingNat implements AutoCloseable {
    private final DatagramSocket inside;
    private final InetSocketAddress server;
    private volatile DatagramSocket outside;
    private volatile InetSocketAddress client;
    /** The last short-header QUIC packet the client sent, for a replay. */
    private volatile byte[] lastQuic;
    private final Thread insideLoop;

    RebindingNat(InetSocketAddress server) throws SocketException {
        this.server = server;
        this.inside = socket();
        this.outside = socket();
        startOutside(outside);
        insideLoop = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!inside.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    inside.receive(p);
                    client = (InetSocketAddress) p.getSocketAddress();
                    if (p.getLength() > 17 && (p.getData()[p.getOffset()] & 0xc0) == 0x40) {
                        lastQuic = java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
                    }
                    outside.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), server));
                } catch (IOException e) {
                    // closed, or the outside socket was being replaced: that datagram is lost, as in a real NAT
                }
            }
        }, "nat-inside");
        insideLoop.setDaemon(true);
        insideLoop.start();
    }

    private static DatagramSocket socket() throws SocketException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setReceiveBufferSize(4 << 20);
        s.setSendBufferSize(4 << 20);
        return s;
    }

    private void startOutside(DatagramSocket s) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!s.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    InetSocketAddress to = client;
                    if (to != null && p.getSocketAddress().equals(server)) {
                        inside.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), to));
                    }
                } catch (IOException e) {
                    // closed
                }
            }
        }, "nat-outside");
        t.setDaemon(true);
        t.start();
    }

    /** Where the client sends. */
    InetSocketAddress address() {
        return (InetSocketAddress) inside.getLocalSocketAddress();
    }

    /** The address the server sees the client at now. */
    InetSocketAddress outsideAddress() {
        return (InetSocketAddress) outside.getLocalSocketAddress();
    }

    /** A new outside port: the old mapping is gone. */
    void rebind() throws SocketException {
        DatagramSocket old = outside;
        DatagramSocket fresh = socket();
        startOutside(fresh);
        outside = fresh;
        old.close();
    }

    /** What an attacker on the path can do: send the client's last QUIC packet again, from another address. */
    void replayFromElsewhere() throws IOException {
        try (DatagramSocket other = socket()) {
            other.send(new DatagramPacket(lastQuic, lastQuic.length, server));
        }
    }

    @Override
    public void close() {
        inside.close();
        outside.close();
    }
}
