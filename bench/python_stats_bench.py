#!/usr/bin/python3
"""stats + compare through the Python module, beside the same calls in C++ and numpy + scikit-image, one run.

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/python_stats_bench.py [BUILD_DIR] [RUNS]

For a 512x512 8-bit pair and a 2048x2048 16-bit pair (a smooth image with a little noise and a uniform random
one, as bench/metrics_bench.cpp makes them) it times, best of RUNS (default 15), on one core:
  python: medcrypt.stats on both images and medcrypt.compare between them (arrays in, dicts out);
  C++:    the same three library calls, BM_AllStatsAndCompare of BUILD_DIR/bin/metrics_bench;
  numpy:  the same figures with numpy, scipy and scikit-image (bench/metrics_reference.py);
and prints the binding's overhead (Python over C++) and the speedup over numpy + scikit-image. The best
run, not the median, since on a shared machine the median measures the other jobs as much as the code.
"""
import importlib.util
import json
import os
import subprocess
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core for numpy's BLAS too, as for C++
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

import medcrypt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("metrics_reference", os.path.join(HERE, "metrics_reference.py"))
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)

CASES = [("512x512x8", 512, 8), ("2048x2048x16", 2048, 16)]


def bench_pair(side, bits, seed):
    rng = np.random.default_rng(seed)
    top = (1 << bits) - 1
    y, x = np.mgrid[0:side, 0:side]
    smooth = 0.5 + 0.35 * np.sin(x * 0.02) * np.cos(y * 0.015)
    dtype = np.uint8 if bits == 8 else np.uint16
    plain = np.clip(smooth * top + rng.integers(-4, 5, smooth.shape), 0, top).astype(dtype)
    cipher = rng.integers(0, top + 1, (side, side)).astype(dtype)
    return plain, cipher


def best_ms(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def cpp_best(build_dir, runs):
    """BM_AllStatsAndCompare's best repetition per pair, in ms (metrics_bench without its numpy comparison)."""
    out = subprocess.run(
        [os.path.join(build_dir, "bin", "metrics_bench"), "--benchmark_filter=BM_AllStatsAndCompare",
         f"--benchmark_repetitions={runs}", "--benchmark_format=json"],
        check=True, capture_output=True, text=True, env={**os.environ, "MEDCRYPT_BENCH_NO_REFERENCE": "1"}).stdout
    best = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            best[b["label"]] = min(best.get(b["label"], float("inf")), b["real_time"])
    return best


def main():
    warnings.simplefilter("ignore")
    build_dir = sys.argv[1] if len(sys.argv) > 1 else "build"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    cpp = cpp_best(build_dir, runs)
    rng = np.random.default_rng(1)
    print(f"{'pair':<14} {'C++ ms':>10} {'Python ms':>10} {'overhead':>9} {'numpy ms':>10} {'speedup':>8}")
    for index, (name, side, bits) in enumerate(CASES):
        plain, cipher = bench_pair(side, bits, index)

        def through_python():
            medcrypt.stats(plain)
            medcrypt.stats(cipher)
            medcrypt.compare(plain, cipher)
        python_ms = best_ms(through_python, runs)
        wide = (plain.astype(np.int64)[None], cipher.astype(np.int64)[None])
        numpy_ms = best_ms(lambda: reference.everything(*wide, bits, rng), runs)
        print(f"{name:<14} {cpp[name]:>10.2f} {python_ms:>10.2f} {100 * (python_ms / cpp[name] - 1):>8.1f}% "
              f"{numpy_ms:>10.2f} {numpy_ms / python_ms:>7.1f}x")


if __name__ == "__main__":
    main()
