#!/usr/bin/python3
"""What selective mode (chaos-henon roi-mode=selective) leaves to its lighter cipher, on the ROI networks'
held-out test splits: the share of every image's samples outside the network's blocks (the lighter
cipher's share), and the share of the ground-truth region (lung fields, tumour) that falls outside them,
i.e. the part of what the clinician looks at that gets only a keystream XOR.

A block is a region-of-interest block when the network's mask (`medcrypt roi`) marks any pixel of it, as
the scheme decides (src/schemes/chaos_henon.cpp, roi_flags); blocks are 32x32, and the strips no full
block covers are background.

    scripts/roi_selective_coverage.py [BUILD_DIR]   (default: build)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "train")
SETS = [("lung", "montgomery_lung_cxr", "roi-lung.weights"),
        ("brain-tumour", "brain_tumor_figshare", "roi-brain-tumour.weights")]
BLOCK = 32


def block_flags(mask):
    rows, cols = mask.shape[0] // BLOCK, mask.shape[1] // BLOCK
    covered = mask[:rows * BLOCK, :cols * BLOCK] > 0
    return covered.reshape(rows, BLOCK, cols, BLOCK).any(axis=(1, 3))


def light_mask(flags, shape):
    light = np.ones(shape, dtype=bool)
    full = np.repeat(np.repeat(flags, BLOCK, axis=0), BLOCK, axis=1)
    light[:full.shape[0], :full.shape[1]] = ~full
    return light


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    cli = os.path.join(build, "bin", "medcrypt")
    print("| set (test split) | images | lighter cipher's share of the samples: mean (min-max) | "
          "ground-truth region under the lighter cipher: mean (max) | images with any |")
    print("|---|---|---|---|---|")
    for kind, folder, weights in SETS:
        data = os.path.join(DATA, folder)
        report = json.loads(subprocess.run([cli, "eval", "roi", "--model", os.path.join(ROOT, "models", weights),
                                            "--data", data, "--per-image", "--json"], check=True,
                                           capture_output=True, text=True).stdout)
        shares, missed = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for entry in report["images"]:
                image = os.path.join(data, "images", entry["file"])
                out = os.path.join(tmp, "mask.png")
                subprocess.run([cli, "roi", image, "-o", out, "--kind", kind], check=True, capture_output=True)
                predicted = np.array(Image.open(out))
                truth = np.array(Image.open(os.path.join(data, "masks", entry["file"]))) > 0
                light = light_mask(block_flags(predicted), predicted.shape)
                shares.append(light.mean())
                missed.append((truth & light).sum() / max(truth.sum(), 1))
        shares, missed = np.array(shares), np.array(missed)
        print("| %s, %s (%s) | %d | %.1f %% (%.1f-%.1f %%) | %.2f %% (%.1f %%) | %d |" % (
            kind, folder, "cv_fold 4" if kind == "brain-tumour" else "seeded 20 %", len(shares),
            100 * shares.mean(), 100 * shares.min(), 100 * shares.max(), 100 * missed.mean(), 100 * missed.max(),
            int((missed > 0).sum())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
