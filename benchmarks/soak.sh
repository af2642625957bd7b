#!/usr/bin/env bash
# Soak: two endpoints and a relay doing connection churn, transfers through the relay, relay restarts and relay
# provider swaps for MINUTES; prints heap, threads, descriptors and resident memory at the start and the end, and
# the failures. Then 10,000 idle connections: heap and resident memory per connection.
#   benchmarks/soak.sh [MINUTES, default 30] [idle connections, default 10000]
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
java -Xmx2g -cp "$CP" org.quiver.benchmarks.Soak soak "${1:-30}" 2> >(grep -v -e '^SLF4J' >&2)
java -Xmx4g -cp "$CP" org.quiver.benchmarks.Soak idle "${2:-10000}" 2> >(grep -v -e '^SLF4J' >&2)
