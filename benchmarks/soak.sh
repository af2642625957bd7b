#!/usr/bin/env bash
# Soak: two endpoints and a relay doing connection churn, transfers through the relay, relay restarts and relay
# provider swaps for MINUTES; prints heap, threads, descriptors and resident memory at the start and the end, and
# the failures. Then 10,000 idle connections: heap and resident memory per connection.
#   benchmarks/soak.sh [MINUTES, default 30] [idle connections, default 10000]
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
# a private copy of every jar: a rebuild during a long run must not change classes under it
lib=$(mktemp -d)
trap 'rm -rf "$lib"' EXIT
cp -r benchmarks/target/classes "$lib/classes"
CP="$lib/classes"
for j in $(tr ':' ' ' < benchmarks/target/classpath.txt); do
  n=$(basename "$j"); cp "$j" "$lib/$n"; CP="$CP:$lib/$n"
done
# SOAK_OPTS=-Dsoak.histogram=true also prints what holds the heap, the threads and the descriptors at the end
java -Xmx2g ${SOAK_OPTS:-} -cp "$CP" org.quiver.benchmarks.Soak soak "${1:-30}" 2> >(grep -v -e '^SLF4J' >&2)
java -Xmx4g -cp "$CP" org.quiver.benchmarks.Soak idle "${2:-10000}" 2> >(grep -v -e '^SLF4J' >&2)
