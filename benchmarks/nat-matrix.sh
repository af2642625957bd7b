#!/usr/bin/env bash
# The NAT matrix: for every pair of NAT kinds (public, port-restricted, symmetric, UDP blocked) in the NAT lab
# (network namespaces with iptables NAT routers, bin/quiver-relay, distribution nodes), does a dial by id
# connect, does it end up direct or relayed, how long until it is direct, and does the connection survive the dialer
# moving to another router of its kind (how long until a ping on it is answered). Needs root, iproute2, iptables.
#   benchmarks/nat-matrix.sh
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "nat-matrix: network namespaces and iptables need root" >&2
  exit 1
fi
rm -f itests/target/nat-matrix.txt
mvn -B -q -o verify -pl itests -Dit.test=NatMatrixIT -Djacoco.skip=true >/tmp/nat-matrix.log 2>&1 || {
  tail -50 /tmp/nat-matrix.log
  [ -f itests/target/nat-matrix.txt ] && cat itests/target/nat-matrix.txt
  exit 1
}
cat itests/target/nat-matrix.txt
