#!/usr/bin/env bash
# Bulk throughput of one stream through the full Quiver endpoint, against raw netty QUIC with the same
# settings, against TCP and against TLS 1.3 over TCP (the JDK's, AES-128-GCM), all on loopback in one JVM; plus connection
# set-up latency.
#   benchmarks/throughput.sh [MiB per run, default 256] [runs, default 3] [answers: only the first answers on reconnects;
#                            bulk: only the bulk figures; setup: only the set-up of 1,000 fresh connections, after
#                            20,000 unmeasured, JAVA_OPTS=-DwarmUp=N another number]
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java ${JAVA_OPTS:-} -cp "$CP" org.quiver.benchmarks.Throughput "${1:-256}" "${2:-3}" ${3:-}
