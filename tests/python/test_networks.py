"""medcrypt.attack, classify and roi against the CLI on the same images, and their errors."""
import os
import subprocess

import numpy as np
import pytest

import medcrypt

ATTACK_KEYS = {"attack", "scheme", "queries", "seconds", "integrity", "exact", "npcr", "psnr", "notes"}


def test_attack_breaks_the_control_and_reports_as_the_cli(cli, tmp_path):
    rng = np.random.default_rng(3)
    target = rng.integers(0, 256, (24, 40)).astype(np.uint8)
    recovered, report = medcrypt.attack("chosen-plaintext", target, scheme="demo-weak")
    assert report["exact"] is True and report["psnr"] is None and report["npcr"] == 0
    assert recovered.dtype == np.uint8 and np.array_equal(recovered, target)
    path = tmp_path / "target.png"
    medcrypt.write_image(str(path), target)
    from_cli = cli("attack", "chosen-plaintext", "--scheme", "demo-weak", "--image", str(path), "--json")
    assert set(report) == ATTACK_KEYS == set(from_cli) - {"image", "output"}
    for field in ("attack", "scheme", "queries", "integrity", "exact", "npcr", "psnr"):
        assert report[field] == from_cli[field], field


def test_attack_recovers_nothing_from_aead():
    rng = np.random.default_rng(4)
    target = rng.integers(0, 4096, (20, 20)).astype(np.uint16)
    recovered, report = medcrypt.attack("chosen-plaintext", target, scheme="aead", like={"bits_stored": 12})
    assert report["exact"] is False and report["npcr"] > 90
    assert recovered.shape == target.shape and not np.array_equal(recovered, target)


def test_attack_errors():
    image = np.zeros((16, 16), np.uint8)
    with pytest.raises(medcrypt.UsageError, match="unknown attack 'guess'"):
        medcrypt.attack("guess", image, scheme="aead")
    with pytest.raises(medcrypt.UsageError, match="unknown scheme"):
        medcrypt.attack("chosen-plaintext", image, scheme="rot13")
    with pytest.raises(TypeError):
        medcrypt.attack("chosen-plaintext", image.astype(np.float16), scheme="demo-weak")


def test_classify_equals_the_cli(shared, cli):
    path = shared("png", "00000001_000.png")
    pixels, meta = medcrypt.read_image(path)
    result = medcrypt.classify(pixels, like=meta)
    from_cli = cli("classify", "--json", path)
    assert result["model"] == from_cli["model"] and result["classes"] == from_cli["classes"]
    entry = from_cli["images"][0]
    assert result["class"] == entry["class"] and result["class_index"] == entry["class_index"]
    assert result["scores"] == pytest.approx(entry["scores"], abs=1e-12)
    assert sum(result["scores"]) == pytest.approx(1, abs=1e-6)
    with pytest.raises(medcrypt.Error):
        medcrypt.classify(pixels, model=str(path))  # an image is no weights file


def test_roi_equals_the_cli_mask(shared, tmp_path):
    path = shared("png", "00000001_000.png")
    pixels, meta = medcrypt.read_image(path)
    mask, info = medcrypt.roi(pixels, like=meta, kind="lung")
    assert mask.shape == pixels.shape and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    assert info["kind"] == "lung" and info["coverage"] == pytest.approx(mask.mean())
    out = tmp_path / "mask.png"
    subprocess.run([os.environ["MEDCRYPT_CLI"], "roi", path, "--kind", "lung", "-o", str(out)], check=True,
                   capture_output=True)
    from_cli, _ = medcrypt.read_image(str(out))
    assert np.array_equal(mask * 255, from_cli)
    with pytest.raises(medcrypt.UsageError, match="one of them"):
        medcrypt.roi(pixels)
