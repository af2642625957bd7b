#!/usr/bin/env bash
# The relay path against the direct path (one stream, same JVM, loopback; two warm-up runs of each path, then the
# paths in turns, a median of each), and the relay server's forwarding rate with one pair of clients and with many.
#   benchmarks/relay.sh [MiB per run, default 128] [runs, default 3] [client pairs, default 100]
# It also prints the relay server's counts after the relayed runs (datagrams forwarded, dropped: a receiver's queue of
# 512 frames full). JAVA_OPTS=-Dqueue=N sets that queue for a run (2,048: no drops, no faster; 2026-12-02);
# -Dsize=N the forwarding benchmark's datagram size (200 bytes: 82-93 k datagrams/s, 1,200: 49-61 k, one pair).
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java ${JAVA_OPTS:-} -cp "$CP" org.quiver.benchmarks.RelayThroughput "${1:-128}" "${2:-3}" "${3:-100}"
