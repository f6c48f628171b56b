#!/usr/bin/env bash
# Installs every Debian package medcrypt needs to build, test and demo. Idempotent: only missing
# packages are installed, so a second run costs a few dpkg queries. Run as root (or with sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # crypto, images, storage, networking
  openssl libssl-dev dcmtk libdcmtk-dev libpng-dev libjpeg-dev libtiff-dev libopenjp2-7-dev libcharls-dev
  sqlite3 libsqlite3-dev libboost-dev libpq-dev libzip-dev
  # transforms (paper 001's ripplet)
  libfftw3-dev
  # CLI, formats, logging
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-numpy python3-skimage python3-pil python3-pydicom python3-gdcm python3-cryptography python3-pytest
  # the Python module (python/, docs/PYTHON.md) and its notebook walk-through
  pybind11-dev python3-dev python3-matplotlib
  # transmission tests: the servers they start on loopback (PostgreSQL, Orthanc, nginx with stream)
  postgresql orthanc nginx libnginx-mod-stream
  # security analysis: reference metrics (scipy, mpmath) and the HTML report rendered headless
  python3-scipy python3-mpmath chromium
  # randomness batteries for schemes' keystreams (medcrypt keystream | dieharder -g 200)
  dieharder
  # deep learning (CPU libtorch)
  libtorch-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
