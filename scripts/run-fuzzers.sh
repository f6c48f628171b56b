#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/bin for SECONDS each, starting from the seed corpus in
# fuzz/corpus/<target name without _fuzz>/ (copied, so the repository is not modified).
# Exits non-zero if any target finds a crash, a leak or a timeout; the input that did is kept in
# BUILD_DIR/fuzz-findings/ and printed in base64 (CI's log may be all that is left of the run).
# -malloc_limit_mb: one allocation may reach 4.5 GB. In a deflated DICOM data set DCMTK allocates an
# element's declared length (at most 4 GB) before reading it, since an inflating stream cannot defer
# values (src/image/dicom/streams.cpp); the pages are never touched and the read fails at once ("declares N
# bytes but the data ends first", 22 MB resident for a 563-byte file of that kind, seeded in
# fuzz/corpus/dicom/). The RSS limit still catches memory that is really used.
set -euo pipefail
build_dir=${1:-build-fuzz}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
for fuzzer in "$build_dir"/bin/*_fuzz; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer" _fuzz)
  name=${name%_reader}
  corpus="$work/$name"
  mkdir -p "$corpus"
  [ -d "$root/fuzz/corpus/$name" ] && cp -r "$root/fuzz/corpus/$name/." "$corpus/"
  echo "fuzz: $(basename "$fuzzer") for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
  if ! "$fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=4608 -print_final_stats=1 \
      -artifact_prefix="$work/" >"$work/$name.log" 2>&1; then
    echo "fuzz: $(basename "$fuzzer") FAILED"; tail -40 "$work/$name.log"; status=1
    # The input that failed outlives the run, and its bytes reach a log that keeps only its end.
    for found in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -f "$found" ] || continue
      mkdir -p "$build_dir/fuzz-findings"
      cp "$found" "$build_dir/fuzz-findings/"
      echo "fuzz: kept $build_dir/fuzz-findings/$(basename "$found"), $(stat -c %s "$found") bytes, base64:"
      base64 -w 0 "$found"; echo
    done
  else
    grep -E "stat::number_of_executed_units|Done" "$work/$name.log" | tail -2
  fi
done
exit $status
