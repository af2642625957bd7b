package org.quiver.transport.quic.impl;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicLong;

/** A second path between two loopback sockets for tests: forwards datagrams from one to the other. Closed by the test. */
final class UdpForwarder implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;
    private final AtomicLong forwarded = new AtomicLong();

    UdpForwarder(InetSocketAddress one, InetSocketAddress two) throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                    InetSocketAddress to = from.equals(one) ? two : from.equals(two) ? one : null;
                    if (to != null) {
                        socket.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), to));
                        forwarded.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    return; // closed
                }
            }
        }, "udp-forwarder");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    long forwarded() {
        return forwarded.get();
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
