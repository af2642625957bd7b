#!/usr/bin/env bash
# Start-up time of a Quiver node, against a bare JVM start measured in the same run.
#   node:     bin/quiver -c quiver:id, wall time of the whole process (JVM, Felix, every bundle, the
#             identity loaded from its key file, the command, shutdown)
#   baseline: the same JVM and class path printing the launcher's --help (no framework)
# Prints the median of N runs of each and their ratio. Build first: mvn -B -q package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-11}
BIN=distribution/target/quiver/bin/quiver
[ -x "$BIN" ] || { echo "build the distribution first: mvn -B -q package -DskipTests" >&2; exit 2; }
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
"$BIN" --home "$HOME_DIR" -c quiver:id >/dev/null 2>&1   # creates the identity: not part of the measurement

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

node=(); base=(); ready=()
for ((i = 0; i < N; i++)); do
  base+=("$(ms "$BIN" --help)")
  node+=("$(ms "$BIN" --home "$HOME_DIR" -c quiver:id)")
  ready+=("$("$BIN" --home "$HOME_DIR" --timing -c quiver:id 2>&1 >/dev/null | sed -n 's/.*shell ready in \([0-9]*\) ms.*/\1/p')")
done
b=$(printf '%s\n' "${base[@]}" | median)
n=$(printf '%s\n' "${node[@]}" | median)
r=$(printf '%s\n' "${ready[@]}" | median)
echo "runs: $N (medians)"
echo "baseline (JVM + launcher --help):          ${b} ms"
echo "node ready for commands (in-process):      ${r} ms"
echo "node, whole process (bin/quiver -c id):    ${n} ms"
awk -v n="$n" -v b="$b" 'BEGIN { printf "ratio node/baseline: %.2f\n", n / b }'
echo "where the time goes (one more run, bin/quiver --timing; times since the launcher's main began):"
"$BIN" --home "$HOME_DIR" --timing -c quiver:id 2>&1 >/dev/null | sed -n 's/^quiver: \(.* at [0-9]* ms\)$/  \1/p'
