package org.quiver.benchmarks;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A path with a round-trip time, on loopback, for benchmarks: one UDP socket that relays between two fixed endpoints
 * and holds each datagram for a one-way delay (each side sees the other at this socket's address). {@code tc netem}
 * is not available on these machines, so the delay is made here. Its thread and timer stop on {@link #close()}.
 * (The transport's tests have a fuller one, {@code DelayLine}, with blackholes and recording; test classes are not
 * on the benchmarks' class path, so this is the small part the benchmarks need.)
 */
final class DelayPath implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "delay-path-timer");
        t.setDaemon(true);
        return t;
    });

    DelayPath(InetSocketAddress one, InetSocketAddress two, long oneWayMillis) throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setReceiveBufferSize(4 << 20);
        thread = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                    InetSocketAddress to = from.equals(one) ? two : from.equals(two) ? one : null;
                    if (to == null) {
                        continue;
                    }
                    byte[] copy = java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
                    timer.schedule(() -> {
                        try {
                            socket.send(new DatagramPacket(copy, copy.length, to));
                        } catch (java.io.IOException closed) {
                            // the path is closing
                        }
                    }, oneWayMillis, TimeUnit.MILLISECONDS);
                } catch (java.io.IOException closed) {
                    return;
                }
            }
        }, "delay-path");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        timer.shutdownNow();
        thread.join(1000);
    }
}
