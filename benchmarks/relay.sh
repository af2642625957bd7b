#!/usr/bin/env bash
# The relay path against the direct path (one stream, same JVM, loopback; twelve warm-up runs of each path,
# -DwarmUps=N another number, then the paths in turns, each first in its turn, a median of each; with two, before
# 2026-12-03, both paths were measured while still being compiled and the ratio varied 0.54-0.79 between runs; with
# six the relay path was still rising: in a fresh JVM its runs rise until about the fifteenth), and the relay
# server's forwarding rate with one pair of clients and with many.
#   benchmarks/relay.sh [MiB per run, default 128] [runs, default 3] [client pairs, default 100; 0: streams only]
# Forwarding: each pair keeps at most 512 datagrams under way (sent, not yet delivered: what the relay queues for a
# receiver), as a QUIC connection keeps its congestion window, so nothing is lost; then the same 512 under way in all,
# shared by the pairs (each of 100 pairs has 5: it batches less). JAVA_OPTS=-Dwindow=N: another window per pair; 0: every
# pair flat out, the relay dropping what its queues cannot hold (the benchmark before 2026-12-02: that wasted work
# made its many / one ratio vary from 0.19 to 0.91 between runs). -Dsize=N: the datagram size (default 1,200 bytes);
# -DforwardWarmUps=N: warm-up runs of the forwarding (default 2).
# The relay path goes through a relay without a rate limit, its queue towards a client the default (512 datagrams);
# -Dqueues=A,B,... measures relays with those queues in turns (through a relay of two event loops, 2026-12-03, QUIC's
# bursts overflowed 512 at this speed and 1,024 took 8-16 % more through; through one loop, the default on 2 cores,
# none is dropped). It prints each relay server's counts after the relayed streams (datagrams forwarded, dropped: a
# receiver's queue full; bursts: QUIC's bursts that crossed the relay as one segmented frame each); -Dqueue=N sets the
# queue of the forwarding runs' relay (default 512). -Dverbose=true prints where the CPU went (CPU seconds per
# GB moved on each path, by thread; the forwarding runs' CPU by thread, and every client's counts).
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java ${JAVA_OPTS:-} -cp "$CP" org.quiver.benchmarks.RelayThroughput "${1:-128}" "${2:-3}" "${3:-100}"
