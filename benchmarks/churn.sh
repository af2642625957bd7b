#!/usr/bin/env bash
# Connection churn: dial, stream, reset, close, over and over, in several JVMs; adds up the failures.
#   benchmarks/churn.sh [total cycles, default 100000] [JVMs, default 10]
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
jvms=${2:-10}
mvn -B -q -o package -pl benchmarks -DskipTests >/dev/null
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
per=$(( (total + jvms - 1) / jvms ))
failures=0
for i in $(seq 1 "$jvms"); do
  out=$(java -cp "$CP" org.quiver.benchmarks.Churn "$per" 1000)
  echo "jvm $i: $(echo "$out" | grep -E '^quiver:')"
  echo "$out" | grep -E 'failed|did not close' || true
  f=$(echo "$out" | sed -n 's/^failures //p')
  failures=$(( failures + ${f:-1} ))
  last=$out
done
echo "$last" | grep -E '^tcp|^ratio'
echo "total: $(( per * jvms )) cycles in $jvms JVMs, failures $failures"
