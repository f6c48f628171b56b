#!/usr/bin/python3
"""The same security metrics as bench/metrics_bench.cpp, with numpy, scipy and scikit-image, timed.

Usage: metrics_reference.py DIR RUNS
DIR holds NAME.plain.raw and NAME.cipher.raw (one grey frame each) and pairs.json: [{"name", "side", "bits"}].
For each pair it times, RUNS times, what `medcrypt stats` computes on both images (entropy over values
and bytes, chi-square and its p-value, local entropy over 30 random 44x44 blocks, correlations over all
adjacent pairs and over 10000 random pairs per direction) and what `medcrypt compare` computes between
them (NPCR, UACI, MSE, RMSE, MAE, PSNR, SSIM), and SSIM alone; prints the medians in ms as JSON.
The metric code is tests/metrics/metrics_reference.py, the reference the tests check medcrypt against.
"""
import importlib.util
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "reference_metrics", os.path.join(HERE, "..", "tests", "metrics", "metrics_reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def stats_request(shape, rng):
    frames, height, width = shape
    pairs = {}
    for direction, (dy, dx) in {"horizontal": (0, 1), "vertical": (1, 0), "diagonal": (1, 1)}.items():
        pairs[direction] = np.stack([rng.integers(0, frames, 10000), rng.integers(0, height - dy, 10000),
                                     rng.integers(0, width - dx, 10000)], axis=1)
    cells = rng.choice((height // 44) * (width // 44), 30, replace=False)
    blocks = [(0, c // (width // 44) * 44, c % (width // 44) * 44) for c in cells]
    return {"pairs": pairs, "blocks": blocks, "block_side": 44}


def everything(plain, cipher, bits, rng):
    for channel in (plain, cipher):
        ref.stats(channel, bits, stats_request(channel.shape, rng))
    top = (1 << bits) - 1
    ref.differences(plain, cipher, top)
    ref.ssim(plain, cipher, top)


def median_ms(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    warnings.simplefilter("ignore")
    folder, runs = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(1)
    out = {}
    for pair in json.load(open(os.path.join(folder, "pairs.json"))):
        dtype = np.uint8 if pair["bits"] == 8 else np.dtype("<u2")
        side = pair["side"]

        def load(which):
            path = os.path.join(folder, pair["name"] + "." + which + ".raw")
            return np.fromfile(path, dtype=dtype).astype(np.int64).reshape(1, side, side)

        plain, cipher = load("plain"), load("cipher")
        top = (1 << pair["bits"]) - 1
        out[pair["name"]] = {
            "all_ms": median_ms(lambda: everything(plain, cipher, pair["bits"], rng), runs),
            "ssim_ms": median_ms(lambda: ref.ssim(plain, cipher, top), runs),
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
