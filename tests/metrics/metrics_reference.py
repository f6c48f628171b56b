#!/usr/bin/python3
"""Independent reference for medcrypt's security metrics: numpy, scipy, scikit-image and mpmath only.

Usage: metrics_reference.py REQUEST.json ANSWER.json  (the answer is written as JSON)

The request names images and what to compute on them:
  {"images": {NAME: {"source": "dicom" | "png" | "raw", "path": FILE,
                     raw only: "width", "height", "frames", "samples", "bits_allocated", "bits_stored", "signed"}},
   "stats":   [{"image": NAME, "pairs": {"horizontal": [[frame, y, x], ...], ...}, "blocks": [[frame, y, x], ...],
                "block_side": 44}],
   "compare": [{"a": NAME, "b": NAME}],
   "moments": [{"symbols": L, "block_pixels": T}],
   "critical": [{"max_value": F, "samples": N}]}
DICOM files are decoded by pydicom, PNG files by Pillow, raw files are the stored words as medcrypt holds
them. Only the random choices (pair positions, blocks) come from medcrypt; every figure is computed here.
A sample's value is its low bits_stored bits, plus 2^(bits_stored - 1) for signed samples (offset binary).
"""
import json
import math
import sys
import warnings

import mpmath
import numpy as np
import pydicom
from PIL import Image
from scipy import stats as sps
from skimage.metrics import structural_similarity

LEVELS = ["0.05", "0.01", "0.001"]


def load(spec):
    """Returns (values as int64 array of shape (frames, height, width, samples), bits stored)."""
    source = spec["source"]
    if source == "dicom":
        ds = pydicom.dcmread(spec["path"])
        arr = ds.pixel_array.astype(np.int64)
        frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        samples = int(ds.SamplesPerPixel)
        arr = arr.reshape(frames, int(ds.Rows), int(ds.Columns), samples)
        bits = int(ds.BitsStored)
        if int(ds.PixelRepresentation) == 1:
            values = arr + (1 << (bits - 1))  # pydicom gives the signed value
        else:
            values = arr & ((1 << bits) - 1)
        return values, bits
    if source == "png":
        im = Image.open(spec["path"])
        if im.mode == "P":
            im = im.convert("RGB")
        elif im.mode in ("LA", "RGBA"):
            im = im.convert(im.mode[:-1])
        arr = np.asarray(im).astype(np.int64)
        bits = 16 if im.mode.startswith("I") else 8
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return arr[None, ...], bits
    if source == "raw":
        dtype = np.uint8 if spec["bits_allocated"] == 8 else np.dtype("<u2")
        words = np.fromfile(spec["path"], dtype=dtype).astype(np.int64)
        words = words.reshape(spec["frames"], spec["height"], spec["width"], spec["samples"])
        bits = spec["bits_stored"]
        values = words & ((1 << bits) - 1)
        if spec["signed"]:
            values ^= 1 << (bits - 1)
        return values, bits
    raise ValueError("unknown source " + source)


def entropy_of_counts(counts):
    counts = counts[counts > 0]
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def pearson(x, y):
    x = x.astype(np.float64).ravel()
    y = y.astype(np.float64).ravel()
    if x.size < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    return float(np.corrcoef(x, y)[0, 1])


def stats(channel, bits, request):
    """channel: (frames, height, width) values."""
    levels = 1 << bits
    counts = np.bincount(channel.ravel(), minlength=levels).astype(np.float64)
    entropy = entropy_of_counts(counts)
    if bits > 8:
        byte_counts = np.bincount(channel.astype("<u2").view(np.uint8).ravel(), minlength=256).astype(np.float64)
        entropy_bytes = entropy_of_counts(byte_counts)
    else:
        entropy_bytes = entropy
    expected = channel.size / levels
    chi = float(((counts - expected) ** 2 / expected).sum())
    out = {
        "entropy": entropy,
        "entropy_bytes": entropy_bytes,
        "chi_square": chi,
        "chi_square_p": float(sps.chi2.sf(chi, levels - 1)),
        "correlation": {
            "horizontal": pearson(channel[:, :, :-1], channel[:, :, 1:]),
            "vertical": pearson(channel[:, :-1, :], channel[:, 1:, :]),
            "diagonal": pearson(channel[:, :-1, :-1], channel[:, 1:, 1:]),
        },
    }
    step = {"horizontal": (0, 1), "vertical": (1, 0), "diagonal": (1, 1)}
    sampled = {}
    for direction, origins in request["pairs"].items():
        o = np.array(origins, dtype=np.int64).reshape(-1, 3)
        dy, dx = step[direction]
        first = channel[o[:, 0], o[:, 1], o[:, 2]]
        second = channel[o[:, 0], o[:, 1] + dy, o[:, 2] + dx]
        sampled[direction] = pearson(first, second)
    out["correlation_sampled"] = sampled
    side = request["block_side"]
    blocks = [entropy_of_counts(np.bincount(channel[f, y:y + side, x:x + side].ravel()).astype(np.float64))
              for f, y, x in request["blocks"]]
    out["local_entropy"] = float(np.mean(blocks)) if blocks else None
    return out


def ssim(a, b, data_range):
    """Mean over frames of scikit-image's SSIM, as in Wang et al. 2004."""
    if a.shape[1] < 11 or a.shape[2] < 11:
        return None
    values = [structural_similarity(a[f].astype(np.float64), b[f].astype(np.float64), gaussian_weights=True,
                                    sigma=1.5, use_sample_covariance=False, data_range=data_range)
              for f in range(a.shape[0])]
    return float(np.mean(values))


def differences(a, b, max_value):
    d = a - b
    mse = float(np.mean(d.astype(np.float64) ** 2))
    return {
        "npcr": float(100 * np.mean(d != 0)),
        "uaci": float(100 * np.mean(np.abs(d)) / max_value),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(np.mean(np.abs(d))),
        "psnr": None if mse == 0 else float(10 * np.log10(max_value ** 2 / mse)),
    }


def compare(a, bits_a, b, bits_b):
    max_value = (1 << max(bits_a, bits_b)) - 1
    out = differences(a, b, max_value)
    channels = []
    for c in range(a.shape[3]):
        channel = differences(a[..., c], b[..., c], max_value)
        channel["ssim"] = ssim(a[..., c], b[..., c], max_value)
        channels.append(channel)
    ssims = [c["ssim"] for c in channels]
    out["ssim"] = None if None in ssims else float(np.mean(ssims))
    out["channels"] = channels
    return out


def critical(max_value, samples):
    f = float(max_value)
    mu = (f + 2) / (3 * f + 3)
    sigma = math.sqrt((f + 2) * (f * f + 2 * f + 3) / (18 * (f + 1) ** 2 * samples * f))
    out = {"npcr": {}, "uaci": {}, "chi_square": {}}
    for level in LEVELS:
        alpha = float(level)
        out["npcr"][level] = 100 * (f - sps.norm.isf(alpha) * math.sqrt(f / samples)) / (f + 1)
        z = sps.norm.isf(alpha / 2)
        out["uaci"][level] = [100 * (mu - z * sigma), 100 * (mu + z * sigma)]
        out["chi_square"][level] = float(sps.chi2.isf(alpha, max_value))
    return out


def moments(symbols, block_pixels):
    """Mean and variance of the plug-in entropy of T uniform values over L symbols, from raw moments in
    50-digit arithmetic: E[H] = L E[g(n1)], E[H^2] = L E[g(n1)^2] + L (L - 1) E[g(n1) g(n2)]."""
    mpmath.mp.dps = 50
    t, l = block_pixels, mpmath.mpf(symbols)
    p = 1 / l

    def g(c):
        return mpmath.mpf(0) if c == 0 else -(mpmath.mpf(c) / t) * mpmath.log(mpmath.mpf(c) / t, 2)

    def pmf(n, q):
        out, k = [], 0
        while k <= n:
            out.append(mpmath.binomial(n, k) * q ** k * (1 - q) ** (n - k))
            if k > n * q + 10 and out[-1] < mpmath.mpf(10) ** -45:
                break
            k += 1
        return out

    first = pmf(t, p)
    e1 = sum(pa * g(a) for a, pa in enumerate(first))
    e2 = sum(pa * g(a) ** 2 for a, pa in enumerate(first))
    cross = mpmath.mpf(0)
    for a, pa in enumerate(first):
        inner = sum(pb * g(b) for b, pb in enumerate(pmf(t - a, p / (1 - p))))
        cross += pa * g(a) * inner
    mean = l * e1
    variance = l * e2 + l * (l - 1) * cross - mean ** 2
    return {"mean": float(mean), "variance": float(variance)}


def main():
    warnings.simplefilter("ignore")  # numpy and scikit-image chatter; the answer file is what counts
    request = json.load(open(sys.argv[1]))
    images = {name: load(spec) for name, spec in request.get("images", {}).items()}
    answer = {"stats": [], "compare": [], "moments": [], "critical": []}
    for item in request.get("stats", []):
        values, bits = images[item["image"]]
        answer["stats"].append({"channels": [stats(values[..., c], bits, item) for c in range(values.shape[3])]})
    for item in request.get("compare", []):
        a, bits_a = images[item["a"]]
        b, bits_b = images[item["b"]]
        answer["compare"].append(compare(a, bits_a, b, bits_b))
    for item in request.get("moments", []):
        answer["moments"].append(moments(item["symbols"], item["block_pixels"]))
    for item in request.get("critical", []):
        answer["critical"].append(critical(item["max_value"], item["samples"]))
    with open(sys.argv[2], "w") as out:
        json.dump(answer, out)


if __name__ == "__main__":
    main()
