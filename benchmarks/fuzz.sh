#!/usr/bin/env bash
# Fuzzes every decoder a stranger reaches, for real (Jazzer, coverage-guided), one target after another, each for
# the maxDuration its @FuzzTest gives (10 minutes). mvn verify only replays the seed corpora; this finds new inputs
# (added to the corpora under src/test/resources/.../*FuzzTestInputs/ when they crash). Prints per target whether it
# found anything, its executions and its coverage.
#   benchmarks/fuzz.sh [target ...]   (default: all; a target is Class#method)
# Build first: mvn -B -q install -DskipTests -Djacoco.skip=true
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(transport-quic:DecoderFuzzTest#probesAndCalls transport-quic:DecoderFuzzTest#routerHeaderWalk
           transport-quic:DecoderFuzzTest#stun transport-quic:DecoderFuzzTest#ticketsAndRecords
           relay-protocol:CodecFuzzTest#decodingIsTotal)
fi
for t in "${targets[@]}"; do
  module=${t%%:*}
  test=${t#*:}
  log=$(mktemp)
  start=$(date +%s)
  # Jazzer instruments only the module's own classes by default: the decoders in other jars (STUN in
  # quiver-stun, tickets and records in quiver-api) need jazzer.instrument to be fuzzed with coverage guidance
  if (cd "bundles/$module" && JAZZER_FUZZ=1 mvn -B -o test -Djacoco.skip=true -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false -Dnio.skip=true \
        -DargLine='-Djazzer.instrument=org.quiver.**' >"$log" 2>&1); then
    verdict="no finding"
  else
    verdict="FAILED (see $log)"
  fi
  secs=$(( $(date +%s) - start ))
  # libFuzzer's last status line: #executions, coverage (cov), features (ft), corpus size
  last=$(grep -aE '^#[0-9]+' "$log" | tail -1 || true)
  echo "$test: $verdict after ${secs} s; last status: ${last:-none}"
done
