"""medcrypt.analyze: the report `medcrypt analyze --json` writes, timings aside."""
import json
import os
import subprocess

import pytest

import medcrypt


def flatten(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from flatten(v, f"{prefix}{k}.")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from flatten(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1], node


def measured(report):
    """Every figure but the timings (and the summary's statistics of them), which differ run to run."""
    return {k: v for k, v in flatten(report) if "timing" not in k and "_ms" not in k and "per_s" not in k}


def test_analyze_equals_cli(shared, tmp_path):
    path = shared("dicom", "MR_small.dcm")
    out = tmp_path / "report.json"
    subprocess.run([os.environ["MEDCRYPT_CLI"], "analyze", path, "--scheme", "chaos-henon", "--json", str(out), "-q"],
                   check=True)
    python = medcrypt.analyze(path, scheme="chaos-henon")
    assert set(python) == {"images", "summary"} and python["images"][0]["scheme"].startswith("chaos-henon")
    assert measured(python) == measured(json.loads(out.read_text()))


def test_analyze_arrays_and_errors(shared):
    pixels, meta = medcrypt.read_image(shared("dicom", "MR_small.dcm"))
    report = medcrypt.analyze([pixels, pixels[:32, :32]], scheme="aead", like=meta)
    assert len(report["images"]) == 2
    with pytest.raises(medcrypt.Error):
        medcrypt.analyze(pixels, scheme="no-such-scheme")
    with pytest.raises(medcrypt.UsageError):
        medcrypt.analyze(pixels, scheme="all", params="rounds=3")
