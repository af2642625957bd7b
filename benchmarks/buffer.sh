#!/usr/bin/env bash
# The pending buffer's push+pop (JMH, ops/s), at and below its limits,
# each against a baseline measured in the same run; prints the ratios at the end.
#   benchmarks/buffer.sh
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java -cp "$CP" org.quiver.benchmarks.BufferBenchmarks
