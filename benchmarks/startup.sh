#!/usr/bin/env bash
# Start-up time of a Quiver node, against a bare JVM start measured in the same run.
#   node:     bin/quiver -c quiver:id, wall time of the whole process (JVM, Felix, every bundle, the
#             identity loaded from its key file, the command, shutdown; a one-shot process builds its endpoint only
#             for a command that uses it, and quiver:id does not)
#   status:   bin/quiver -c quiver:status, a command that uses the endpoint (it is built for it), alternating
#   nocds:    the same without the class data archive lib/quiver.jsa (QUIVER_CDS=off), alternating with it
#   unpack:   the same with netty unpacking its native libraries from their jars (QUIVER_NATIVE=off) instead of loading
#             them from lib/native, alternating with it
#   running:  the same command while a node runs on the folder: it runs in that node (its control socket),
#             no node starts
#   baseline: the same JVM and class path printing the launcher's --help (no framework)
# Prints the median of N runs of each and their ratio. Build first: mvn -B -q package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-11}
BIN=distribution/target/quiver/bin/quiver
[ -x "$BIN" ] || { echo "build the distribution first: mvn -B -q package -DskipTests" >&2; exit 2; }
HOME_DIR=$(mktemp -d)
NODE_PID=
trap '[ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null; exec 3>&- 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
"$BIN" --home "$HOME_DIR" -c quiver:id >/dev/null 2>&1   # creates the identity: not part of the measurement

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

node=(); base=(); ready=(); nocds=(); unpack=(); status=()
for ((i = 0; i < N; i++)); do
  base+=("$(ms "$BIN" --help)")
  node+=("$(ms "$BIN" --home "$HOME_DIR" -c quiver:id)")
  nocds+=("$(QUIVER_CDS=off ms "$BIN" --home "$HOME_DIR" -c quiver:id)")
  unpack+=("$(QUIVER_NATIVE=off ms "$BIN" --home "$HOME_DIR" -c quiver:id)")
  status+=("$(ms "$BIN" --home "$HOME_DIR" -c quiver:status)")
  ready+=("$("$BIN" --home "$HOME_DIR" --timing -c quiver:id 2>&1 >/dev/null | sed -n 's/.*shell ready in \([0-9]*\) ms.*/\1/p')")
done
# the same command with a node running on the folder
mkfifo "$HOME_DIR/in"
"$BIN" --home "$HOME_DIR" < "$HOME_DIR/in" > "$HOME_DIR/node.log" 2>&1 &
NODE_PID=$!
exec 3> "$HOME_DIR/in"
for _ in $(seq 150); do [ -S "$HOME_DIR/control.sock" ] && break; sleep 0.2; done
[ -S "$HOME_DIR/control.sock" ] || { echo "the node gave no control socket:"; cat "$HOME_DIR/node.log"; exit 1; }
attached=()
for ((i = 0; i < N; i++)); do
  attached+=("$(ms "$BIN" --home "$HOME_DIR" -c quiver:id)")
done
exec 3>&-
wait "$NODE_PID" 2>/dev/null || true
NODE_PID=
b=$(printf '%s\n' "${base[@]}" | median)
a=$(printf '%s\n' "${attached[@]}" | median)
n=$(printf '%s\n' "${node[@]}" | median)
r=$(printf '%s\n' "${ready[@]}" | median)
c=$(printf '%s\n' "${nocds[@]}" | median)
u=$(printf '%s\n' "${unpack[@]}" | median)
s=$(printf '%s\n' "${status[@]}" | median)
echo "runs: $N (medians)"
echo "baseline (JVM + launcher --help):          ${b} ms"
echo "node ready for commands (in-process):      ${r} ms"
echo "node, whole process (bin/quiver -c id):    ${n} ms"
echo "  without the class data archive:          ${c} ms (QUIVER_CDS=off; with it / without: $(awk -v n="$n" -v c="$c" 'BEGIN { printf "%.2f", n / c }'))"
echo "  natives unpacked from their jars:        ${u} ms (QUIVER_NATIVE=off; lib/native / unpacked: $(awk -v n="$n" -v u="$u" 'BEGIN { printf "%.2f", n / u }'))"
echo "  a command that uses the endpoint:        ${s} ms (bin/quiver -c quiver:status: a one-shot builds its endpoint for it)"
echo "the same with a node running on the folder: ${a} ms (the command runs in that node)"
awk -v n="$n" -v b="$b" 'BEGIN { printf "ratio node/baseline: %.2f\n", n / b }'
echo "where the time goes (one more run, bin/quiver --timing; times since the launcher's main began):"
"$BIN" --home "$HOME_DIR" --timing -c quiver:id 2>&1 >/dev/null | sed -n 's/^quiver: \(.* at [0-9]* ms\)$/  \1/p; s/^quiver: \(slowest .*\)$/  \1/p'
