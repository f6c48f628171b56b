#!/usr/bin/python3
"""Keras's Adamax update (tf.keras.optimizers.Adamax, its defaults beta1 0.9, beta2 0.999, eps 1e-7),
written from the formula in numpy float64, independent of medcrypt and torch:

    m = beta1 m + (1 - beta1) g;  u = max(beta2 u, |g|);  p -= lr / (1 - beta1^t) * m / (u + eps)

    adamax_reference.py '{"start": [...], "gradients": [[...], ...], "lr": 0.01}'
prints the parameters after each step, one line of space-separated values per step.
"""
import json
import sys

import numpy as np


def main():
    spec = json.loads(sys.argv[1])
    p = np.array(spec["start"], dtype=np.float64)
    m = np.zeros_like(p)
    u = np.zeros_like(p)
    beta1, beta2, eps, lr = 0.9, 0.999, 1e-7, spec["lr"]
    for t, g in enumerate(spec["gradients"], start=1):
        g = np.array(g, dtype=np.float64)
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g))
        p = p - lr / (1 - beta1 ** t) * m / (u + eps)
        print(" ".join(repr(float(v)) for v in p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
