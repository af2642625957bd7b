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
    private final InetSocketAddress two;
    /** What the first endpoint sent through, while recording (null: not recording). */
    private volatile java.util.List<byte[]> recorded;
    private volatile long firstShortToOne;

    DelayLine(InetSocketAddress one, InetSocketAddress two, long delayMillis) throws SocketException {
        this.delayMicros = delayMillis * 1000;
        this.two = two;
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
                    java.util.List<byte[]> record = recorded;
                    if (record != null && from.equals(one)) {
                        record.add(copy);
                    }
                    boolean shortToOne = to.equals(one) && copy.length > 0 && (copy[0] & 0xc0) == 0x40; // not a probe (no fixed bit)
                    long delay = delayMicros;
                    Runnable send = () -> {
                        try {
                            socket.send(new DatagramPacket(copy, copy.length, to));
                            forwarded.incrementAndGet();
                            if (shortToOne && firstShortToOne == 0) {
                                firstShortToOne = System.nanoTime();
                            }
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

    /** When the first short-header (1-RTT) datagram from the second endpoint reached the first since {@link #record()} (0: none yet). */
    long firstShortHeaderToOne() {
        return firstShortToOne;
    }

    /** From now on, keeps what the first endpoint sends through (an attacker on the path recording a flight). */
    void record() {
        firstShortToOne = 0;
        recorded = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    }

    /** What was recorded since {@link #record()}, and stops recording. */
    java.util.List<byte[]> recorded() {
        java.util.List<byte[]> r = recorded;
        recorded = null;
        return r == null ? java.util.List.of() : java.util.List.copyOf(r);
    }

    /** Sends {@code datagrams} to the second endpoint again, from this socket (the address it knows the first at). */
    void replay(java.util.List<byte[]> datagrams) throws java.io.IOException {
        for (byte[] d : datagrams) {
            socket.send(new DatagramPacket(d, d.length, two));
        }
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
