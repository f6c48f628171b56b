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


def python_and_cli(path, scheme, tmp_path):
    """medcrypt.analyze's report and the one `medcrypt analyze --json` writes, for one image and scheme."""
    out = tmp_path / "report.json"
    subprocess.run([os.environ["MEDCRYPT_CLI"], "analyze", path, "--scheme", scheme, "--json", str(out), "-q"],
                   check=True)
    return medcrypt.analyze(path, scheme=scheme), json.loads(out.read_text())


def test_analyze_equals_cli(shared, tmp_path):
    python, cli = python_and_cli(shared("dicom", "MR_small.dcm"), "chaos-henon", tmp_path)
    assert set(python) == {"images", "summary"} and python["images"][0]["scheme"].startswith("chaos-henon")
    assert measured(python) == measured(cli)


def test_analyze_arrays_and_errors(shared):
    pixels, meta = medcrypt.read_image(shared("dicom", "MR_small.dcm"))
    report = medcrypt.analyze([pixels, pixels[:32, :32]], scheme="aead", like=meta)
    assert len(report["images"]) == 2
    with pytest.raises(medcrypt.Error):
        medcrypt.analyze(pixels, scheme="no-such-scheme")
    with pytest.raises(medcrypt.UsageError):
        medcrypt.analyze(pixels, scheme="all", params="rounds=3")


def test_analyze_a_scheme_without_cipher_image(shared, tmp_path):
    """ae-aes seals features, not pixels: the report says so and measures what the recipient gets, as the CLI."""
    python, cli = python_and_cli(shared("dicom", "MR_small.dcm"), "ae-aes", tmp_path)
    image = python["images"][0]
    assert image["cipher_image"] is False
    assert not {"cipher", "plaintext_sensitivity", "key_sensitivity"} & set(image)
    assert 0.5 < image["quality"]["ssim"] < 1 and image["notes"][0].startswith("LOSSY: 'ae-aes'")
    assert measured(python) == measured(cli)
