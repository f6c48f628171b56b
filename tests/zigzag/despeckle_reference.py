#!/usr/bin/python3
"""Paper 001's despeckling as src/zigzag/speckle.hpp states it, computed independently with numpy over the
ripplet tiling of tests/transform/ripplet_reference.py.

Usage: despeckle_reference.py NOISY.png VARIANCE SUPPORT DEGREE SCALES THRESHOLD OUT.raw
NOISY.png is an 8-bit grey image; OUT.raw receives the despeckled image as uint8, row-major.
"""
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "transform"))
from ripplet_reference import windows  # noqa: E402


def main():
    path, variance, support, degree, scales, threshold, out = sys.argv[1:8]
    noisy = np.asarray(Image.open(path), dtype=np.float64)
    rows, cols = noisy.shape
    s2 = np.log1p(float(variance))  # the variance of log(eta) for a mean-1 log-normal eta
    bands, _ = windows(rows, cols, float(support), float(degree), int(scales))
    spectrum = np.fft.fft2(np.log(noisy + 1))
    estimate = np.zeros((rows, cols), dtype=complex)
    for index, window in enumerate(bands):
        band = np.fft.ifft2(spectrum * window).real
        if index > 0:  # every detail band; the low-pass band (index 0) is kept
            gain = np.sqrt((window**2).sum() / window.size)
            band[np.abs(band) < float(threshold) * np.sqrt(s2) * gain] = 0
        estimate += np.fft.fft2(band) * window
    log_image = np.fft.ifft2(estimate).real
    level = np.clip(np.floor(np.exp(log_image + s2 / 2) - 1 + 0.5), 0, 255)
    level.astype(np.uint8).tofile(out)


if __name__ == "__main__":
    main()
