package org.quiver.transport.quic.impl;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A network path for tests, on loopback: one UDP socket that relays between two fixed endpoints, delaying
 * each datagram by a one-way delay that can change at any time, or dropping everything (a blackhole).
 * Each endpoint sees the other at this socket's address. {@code tc netem} is not available on these
 * machines (no sch_netem), so the delay is made here; order is kept per direction.
 */
final class DelayLine implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;
    private final ScheduledExecutorService timer;
    private final AtomicLong forwarded = new AtomicLong();
    private volatile long delayMicros;
    private volatile boolean blackhole;

    DelayLine(InetSocketAddress one, InetSocketAddress two, long delayMillis) throws SocketException {
        this.delayMicros = delayMillis * 1000;
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setReceiveBufferSize(4 << 20);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "delay-line-timer");
            th.setDaemon(true);
            return th;
        });
        timer = t;
        thread = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                    InetSocketAddress to = from.equals(one) ? two : from.equals(two) ? one : null;
                    if (to == null || blackhole) {
                        continue;
                    }
                    byte[] copy = java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
                    long delay = delayMicros;
                    Runnable send = () -> {
                        try {
                            socket.send(new DatagramPacket(copy, copy.length, to));
                            forwarded.incrementAndGet();
                        } catch (java.io.IOException e) {
                            // closed
                        }
                    };
                    if (delay == 0) {
                        send.run();
                    } else {
                        timer.schedule(send, delay, TimeUnit.MICROSECONDS);
                    }
                } catch (java.io.IOException e) {
                    return; // closed
                }
            }
        }, "delay-line");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Sets the one-way delay (the path's RTT grows by twice the change). */
    void delayMillis(long millis) {
        delayMicros = millis * 1000;
    }

    /** Sets the one-way delay in microseconds. */
    void delayMicros(long micros) {
        delayMicros = micros;
    }

    void blackhole(boolean on) {
        blackhole = on;
    }

    long forwarded() {
        return forwarded.get();
    }

    @Override
    public void close() {
        socket.close();
        timer.shutdownNow();
        try {
            thread.join(1000);
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
