#!/usr/bin/env bash
# The relay path against the direct path (one stream, same JVM, loopback), and the relay server's forwarding
# rate with one pair of clients and with many.
#   benchmarks/relay.sh [MiB per run, default 128] [runs, default 3] [client pairs, default 100]
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java -cp "$CP" org.quiver.benchmarks.RelayThroughput "${1:-128}" "${2:-3}" "${3:-100}"
