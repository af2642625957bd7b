#!/usr/bin/env bash
# Lookup latency per discovery provider: static (in memory) and DNS (a real bind9 on loopback), same JVM.
#   benchmarks/discovery.sh [lookups per provider, default 500]      (needs bind9: apt-get install bind9)
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java -cp "$CP" org.quiver.benchmarks.DiscoveryLatency "${1:-500}"
