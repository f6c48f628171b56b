#!/usr/bin/env bash
# dieharder -a on a scheme's keystream, one test per dieharder run. Each run reads its own `medcrypt
# keystream` (so its own random key), which lets a battery that takes hours on a small machine be split
# across sessions and resumed from any test. The tests and ntuples are those of `dieharder -a` (3.31.1).
#
# Usage: scripts/dieharder-battery.sh SCHEME [FROM [KEYSTREAM OPTION...]]
#   FROM: the first test to run, as D or D:N (dieharder -d D -n N), e.g. 203:20; default 0, the first.
#   KEYSTREAM OPTION: passed to `medcrypt keystream`, e.g. --side 4096.
# MEDCRYPT names the binary (default build/bin/medcrypt).
set -euo pipefail
scheme=${1:?usage: scripts/dieharder-battery.sh SCHEME [FROM [KEYSTREAM OPTION...]]}
from=${2:-0}
shift $(( $# < 2 ? $# : 2 ))
medcrypt=${MEDCRYPT:-build/bin/medcrypt}

tests=(0 1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17 100 101 102)
for n in $(seq 1 12); do tests+=("200:$n"); done
for n in 2 3 4 5; do tests+=("201:$n"); done
for n in 2 3 4 5; do tests+=("202:$n"); done
for n in $(seq 0 32); do tests+=("203:$n"); done
tests+=(204 205 206 207 208 209)

# A scheme, option or binary the keystream refuses fails here, not as 79 runs without a result.
"$medcrypt" keystream --scheme "$scheme" --bytes 1 "$@" >/dev/null || exit 2

started=false
for t in "${tests[@]}"; do
  [ "$t" = "$from" ] && started=true
  $started || continue
  args=(-d "${t%%:*}")
  [[ $t == *:* ]] && args+=(-n "${t#*:}")
  echo "== dieharder -g 200 ${args[*]} ($(date -u +%FT%TZ))"
  # dieharder closes the pipe when it has read enough; the keystream's write error then is expected.
  results=$({ "$medcrypt" keystream --scheme "$scheme" --bytes 1000000000000 "$@" 2>/dev/null || true; } |
    dieharder -g 200 "${args[@]}" | grep -E "PASSED|WEAK|FAILED" || true)
  [ -n "$results" ] || { echo "dieharder ${args[*]} gave no result" >&2; exit 1; }
  echo "$results"
done
$started || { echo "no test $from in dieharder -a's list" >&2; exit 2; }
echo "end $(date -u +%FT%TZ)"
