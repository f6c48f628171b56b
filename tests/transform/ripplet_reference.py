#!/usr/bin/python3
"""The ripplet-I tiling of src/transform/ripplet.hpp, computed independently with numpy's full complex FFT.

Usage: ripplet_reference.py FRAME.f64 ROWS COLS SUPPORT DEGREE SCALES OUT.f64
FRAME.f64 holds ROWS x COLS float64 samples (row-major, little-endian); OUT.f64 receives every band
(the low-pass band, then each scale's wedges in angle order), each ROWS x COLS float64. Prints JSON:
the wedges per scale, the band count, the largest imaginary part met (the bands must be real) and the
Parseval ratio (sum of squared coefficients over the frame's), which must be 1 for a tight frame.

Works on the whole spectrum with numpy.fft.fft2, so the Hermitian pairing that the C++ half-spectrum code
handles at the Nyquist column is checked rather than assumed: a window that is not symmetric there shows
up as an imaginary part.
"""
import json
import sys

import numpy as np


def beta(x):
    x = np.clip(x, 0.0, 1.0)
    return x**4 * (35 - 84 * x + 70 * x**2 - 20 * x**3)


def v(t):
    return np.where(t <= 1, 1.0, np.where(t >= 2, 0.0, np.cos(np.pi / 2 * beta(t - 1))))


def windows(rows, cols, support, degree, scales):
    """Every band's window over the full (rows, cols) spectrum, and the wedge counts."""
    fy = np.fft.fftfreq(rows)[:, None] * np.ones((1, cols))
    fx = np.fft.fftfreq(cols)[None, :] * np.ones((rows, 1))
    if cols % 2 == 0:
        # numpy puts the Nyquist column at -1/2; the tiling names it +1/2 (its alias) ...
        fx[:, cols // 2] = 0.5
    if rows % 2 == 0:
        fy[rows // 2, :] = 0.5
    # + 1e-9 as the C++ (a rounding error must not drop (j - 1)(1 - 1/d) below an integer it equals).
    wedges = [max(1, int(round(4 / support * 2 ** np.floor((j - 1) * (1 - 1 / degree) + 1e-9)))) for j in range(1, scales + 1)]

    def bank(fx, fy):
        r = np.hypot(fx, fy)
        theta = np.mod(np.arctan2(fy, fx), np.pi)
        radius = lambda j: 0.125 * 2.0 ** (j - scales)
        out = [v(r / radius(1))]
        for j in range(1, scales + 1):
            inner = v(r / radius(j))
            outer = np.ones_like(r) if j == scales else v(r / radius(j + 1))
            radial = np.sqrt(np.maximum(outer**2 - inner**2, 0))
            n = wedges[j - 1]
            for l in range(n):
                if n == 1:
                    out.append(radial)
                    continue
                t = np.mod(theta / (np.pi / n) - l + n / 2, n) - n / 2
                out.append(radial * np.where(np.abs(t) < 1, np.cos(np.pi / 2 * beta(np.abs(t))), 0.0))
        return out

    bands = bank(fx, fy)
    nyquist = np.zeros((rows, cols), dtype=bool)
    if cols % 2 == 0:
        nyquist[:, cols // 2] = True
    if rows % 2 == 0:
        nyquist[rows // 2, :] = True
    # ... and there, where a frequency and its Hermitian partner are aliases of each other's mirror, each
    # window is the root mean square of its values at (fx, fy) and (fx, -fy), so every band stays real.
    mirror = bank(fx[nyquist], -fy[nyquist])
    for b in range(len(bands)):
        bands[b][nyquist] = np.sqrt((bands[b][nyquist] ** 2 + mirror[b] ** 2) / 2)
    return bands, wedges


def main():
    path, rows, cols, support, degree, scales, out = sys.argv[1:8]
    rows, cols, scales = int(rows), int(cols), int(scales)
    frame = np.fromfile(path, dtype="<f8").reshape(rows, cols)
    bands, wedges = windows(rows, cols, float(support), float(degree), scales)
    total = sum(w**2 for w in bands)
    spectrum = np.fft.fft2(frame)
    coefficients = [np.fft.ifft2(spectrum * w) for w in bands]
    imaginary = max(float(np.abs(c.imag).max()) for c in coefficients)
    real = np.stack([c.real for c in coefficients])
    real.astype("<f8").tofile(out)
    energy = float((real**2).sum() / max((frame**2).sum(), 1e-300))
    print(json.dumps({"wedges": wedges, "bands": len(bands), "max_imaginary": imaginary,
                      "window_square_sum_error": float(np.abs(total - 1).max()), "parseval": energy}))


if __name__ == "__main__":
    main()
