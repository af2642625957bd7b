#!/usr/bin/env bash
# Path selection over 100 candidates and candidate pruning (JMH, with the GC profiler for bytes per op),
# each against a baseline measured in the same run; prints the ratios at the end.
#   benchmarks/paths.sh
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec java -cp "$CP" org.quiver.benchmarks.PathBenchmarks
