#!/usr/bin/env bash
# What a user's file transfer gets: quiver:sendfile of one file between two distribution nodes on loopback,
# against, in the same run, the in-JVM endpoint (one stream, benchmarks/throughput.sh's Quiver figure) and a
# plain TCP copy of the same file with SHA-256 on the receiver (python3: the hash in C, the copy in the kernel).
# The sendfile figure is taken twice: from a fresh `bin/quiver -c` process (no node running on the sender's folder: a
# one-shot node whose JVM compiles the hot paths during the transfer), and with the sender's node running, where
# `bin/quiver -c` runs the command in it: the median of three transfers after two that warm the JVMs up (like the
# in-JVM endpoint figure, a median after a warm-up run).
#   benchmarks/transfer.sh [MiB, default 512] [JAVA_OPTS for both nodes, default: bin/quiver's own]
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-512}
export JAVA_OPTS=${2:-${JAVA_OPTS:-}}
BIN=$PWD/distribution/target/quiver/bin/quiver
[ -x "$BIN" ] || { echo "build the distribution first: mvn -B -q install -DskipTests" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed for the TCP baseline" >&2; exit 2; }
W=$(mktemp -d)
B_PID=
A_PID=
cleanup() {
  [ -n "$B_PID" ] && kill "$B_PID" 2>/dev/null; [ -n "$A_PID" ] && kill "$A_PID" 2>/dev/null
  exec 3>&- 4>&- 2>/dev/null || true; rm -rf "$W"
}
trap cleanup EXIT

head -c $((MIB * 1024 * 1024)) /dev/urandom > "$W/payload.bin"
for n in a b; do
  mkdir -p "$W/$n/conf"
  echo "bindAddress = 127.0.0.1" > "$W/$n/conf/org.quiver.endpoint.cfg"
done
ID_A=$("$BIN" --home "$W/a" -c quiver:id | head -1)
echo "accept = $ID_A" > "$W/b/conf/org.quiver.files.cfg"
echo "maxFileMiB = $((MIB * 2))" >> "$W/b/conf/org.quiver.files.cfg"

# node b, the receiver, runs its shell on a fifo
mkfifo "$W/b.in"
"$BIN" --home "$W/b" < "$W/b.in" > "$W/b.log" 2>&1 &
B_PID=$!
exec 3> "$W/b.in"
echo "quiver:addr" >&3
for _ in $(seq 100); do grep -qo 'quiver[a-z2-7]\{60,\}' "$W/b.log" && break; sleep 0.2; done
TICKET=$(grep -o 'quiver[a-z2-7]\{60,\}' "$W/b.log" | head -1)
[ -n "$TICKET" ] || { echo "node b gave no ticket:"; cat "$W/b.log"; exit 1; }

s=$(date +%s%N)
"$BIN" --home "$W/a" -c "quiver:sendfile $TICKET $W/payload.bin" > "$W/a.out" 2>&1 || { cat "$W/a.out"; exit 1; }
e=$(date +%s%N)
cmp -s "$W/payload.bin" "$W/b/received/payload.bin" || { echo "the received file differs"; exit 1; }
reported=$(sed -n 's/.* s, \([0-9.]*\) MB\/s.*/\1/p' "$W/a.out" | head -1)
whole=$(awk -v b=$((MIB * 1024 * 1024)) -v ns=$((e - s)) 'BEGIN { printf "%.1f", b / 1e6 / (ns / 1e9) }')

# the same with node a running: `bin/quiver -c` on its folder runs the command in it (its control socket), as a user
# sends files from their node. Five transfers (other names, same bytes, relative names from the script's folder):
# two warm the running JVMs up, the median of the other three counts (the in-JVM endpoint figure is also a median
# after a warm-up run). Received copies are removed after their check.
mkfifo "$W/a.in"
"$BIN" --home "$W/a" < "$W/a.in" > "$W/a.log" 2>&1 &
A_PID=$!
exec 4> "$W/a.in"
for _ in $(seq 150); do [ -S "$W/a/control.sock" ] && break; sleep 0.2; done
warm=()
for n in 1 2 3 4 5; do
  ln "$W/payload.bin" "$W/warm$n.bin"
  (cd "$W" && "$BIN" --home "$W/a" -c "quiver:sendfile $TICKET warm$n.bin") > "$W/warm$n.out" 2>&1 \
    || { echo "sendfile through the running node failed:"; cat "$W/warm$n.out" "$W/a.log"; exit 1; }
  cmp -s "$W/payload.bin" "$W/b/received/warm$n.bin" || { echo "the file sent from the running node differs"; cat "$W/warm$n.out"; exit 1; }
  rm -f "$W/b/received/warm$n.bin" "$W/warm$n.bin"
  warm+=("$(sed -n 's/.*sent warm[0-9].bin .* s, \([0-9.]*\) MB\/s.*/\1/p' "$W/warm$n.out" | head -1)")
done
first="${warm[0]}, ${warm[1]}"
running=$(printf '%s\n' "${warm[@]:2}" | sort -n | sed -n 2p)
exec 4>&-
wait "$A_PID" 2>/dev/null || true
A_PID=

# the TCP copy with SHA-256 on the receiver
tcp=$(python3 - "$W/payload.bin" "$W/tcp.bin" <<'PY'
import hashlib, socket, sys, threading, time
src, dst = sys.argv[1], sys.argv[2]
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
def receive():
    c, _ = srv.accept(); h = hashlib.sha256()
    with open(dst, "wb") as f:
        while True:
            b = c.recv(1 << 20)
            if not b: break
            h.update(b); f.write(b)
    c.close()
t = threading.Thread(target=receive); t.start()
start = time.perf_counter()
s = socket.create_connection(("127.0.0.1", port))
with open(src, "rb") as f: s.sendfile(f)
s.close(); t.join()
import os
print("%.1f" % (os.path.getsize(src) / 1e6 / (time.perf_counter() - start)))
PY
)
cmp -s "$W/payload.bin" "$W/tcp.bin" || { echo "the TCP copy differs"; exit 1; }

endpoint=$(cd "$OLDPWD" 2>/dev/null; cd "$(dirname "$0")/.." && \
  java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" org.quiver.benchmarks.Throughput $((MIB / 2)) 3 endpoint 2>/dev/null \
  | sed -n 's/Quiver endpoint *\([0-9.]*\) MB\/s/\1/p')

echo "file: $MIB MiB, loopback, $(nproc) cores, JAVA_OPTS='${JAVA_OPTS}'"
echo "quiver:sendfile between two nodes   ${reported} MB/s (bin/quiver -c, as the command reports it; whole sender process ${whole} MB/s)"
echo "  bin/quiver -c with node a running   ${running} MB/s (runs in node a; median of transfers 3-5: ${warm[*]:2}; the first two: ${first} MB/s)"
echo "in-JVM endpoint, one stream         ${endpoint} MB/s"
echo "TCP copy with SHA-256 (python3)     ${tcp} MB/s"
awk -v q="$reported" -v w="$running" -v e="$endpoint" -v t="$tcp" 'BEGIN {
  printf "ratio sendfile / endpoint          %5.2f (with node a running %.2f)\n", q / e, w / e
  printf "ratio sendfile / TCP copy + SHA    %5.2f\n", q / t }'
