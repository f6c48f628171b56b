"""Fixtures of the medcrypt module's tests: the shared images, the CLI, a shared key file.

ctest sets PYTHONPATH to build/python, MEDCRYPT_CLI to build/bin/medcrypt and MEDCRYPT_SHARED_DATA to
../shared/data; a test that needs the shared images skips with a visible message where they are absent.
"""
import json
import os
import subprocess

import numpy as np
import pytest

import medcrypt

SHARED = os.environ.get("MEDCRYPT_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                                             "data"))


@pytest.fixture
def shared():
    """The path of a file under ../shared/data."""
    if not os.path.isdir(SHARED):
        pytest.skip("SKIPPED: ../shared/data is absent; this test needs the shared images")
    return lambda *parts: os.path.join(SHARED, *parts)


@pytest.fixture
def cli():
    """Runs build/bin/medcrypt and returns its JSON output."""
    binary = os.environ.get("MEDCRYPT_CLI")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MEDCRYPT_CLI must name the medcrypt binary (ctest sets it)")

    def run(*args):
        out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
        return json.loads(out)
    return run


@pytest.fixture
def key():
    return medcrypt.keygen()


@pytest.fixture
def key_file(tmp_path, key):
    path = tmp_path / "shared.key"
    path.write_bytes(key)
    path.chmod(0o600)
    return path


@pytest.fixture
def phantom():
    """A smooth 16-bit grey image with some noise, 96x80 (non-square, to catch transposed axes)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:96, 0:80]
    smooth = 30000 + 20000 * np.sin(x / 9.0) * np.cos(y / 13.0)
    return (smooth + rng.integers(-50, 50, smooth.shape)).astype(np.uint16)
