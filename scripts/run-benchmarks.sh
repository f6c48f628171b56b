#!/usr/bin/env bash
# Runs every benchmark program in BUILD_DIR/bin beside `openssl speed` (the reference, in the same run,
# since these machines are noisy) and prints the machine it ran on. Output: bench-results/ (JSON + text).
set -euo pipefail
build_dir=${1:-build}
out=${2:-bench-results}
mkdir -p "$out"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) threads)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "compiler: $(c++ --version | head -1)"
  echo "openssl: $(openssl version)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
} | tee "$out/machine.txt"

echo "--- openssl speed (reference)"
openssl speed -seconds 3 -bytes 8388608 -evp aes-256-gcm 2>/dev/null | tail -2 | tee "$out/openssl-speed.txt"
openssl speed -seconds 3 -bytes 8388608 -evp chacha20-poly1305 2>/dev/null | tail -1 | tee -a "$out/openssl-speed.txt"

for bench in "$build_dir"/bin/*_bench; do
  [ -x "$bench" ] || continue
  name=$(basename "$bench")
  echo "--- $name"
  "$bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json | tee "$out/$name.txt"
done
