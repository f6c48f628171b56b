"""medcrypt.stats / compare: equal to the CLI's JSON, and to numpy and scikit-image computed here."""
import numpy as np
import pytest
from skimage.metrics import structural_similarity

import medcrypt


def without_file(report):
    return {k: v for k, v in report.items() if k != "file"}


@pytest.mark.parametrize("name", ["dicom/MR_small.dcm", "dicom/emri_small.dcm", "dicom/US1_UNCR.dcm",
                                  "png/CT1_chest_512.png"])
def test_stats_equal_cli(shared, cli, name):
    path = shared(*name.split("/"))
    pixels, meta = medcrypt.read_image(path)
    assert medcrypt.stats(pixels, like=meta) == without_file(cli("stats", path, "--json"))


def test_compare_equal_cli(shared, cli, key, tmp_path):
    path = shared("dicom", "ID_0000_AGE_0060_CONTRAST_1_CT.dcm")
    plain, meta = medcrypt.read_image(path)
    cipher, _ = medcrypt.encrypt(plain, key=key, like=meta)
    medcrypt.write_image(tmp_path / "cipher.png", cipher)
    python = medcrypt.compare(plain, cipher, like=meta)
    assert python == cli("compare", path, str(tmp_path / "cipher.png"), "--json")
    assert set(python["npcr_pass"]) == {"0.001", "0.01", "0.05"} and "uaci_critical" in python
    assert medcrypt.stats(cipher) == without_file(cli("stats", str(tmp_path / "cipher.png"), "--json"))


def entropy(values):
    p = np.bincount(values.ravel()) / values.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def test_stats_equal_numpy(shared):
    pixels, meta = medcrypt.read_image(shared("png", "CT1_chest_512.png"))
    channel = medcrypt.stats(pixels, like=meta)["channels"][0]
    assert channel["entropy"] == pytest.approx(entropy(pixels), abs=1e-12)
    a = pixels.astype(np.float64)
    pairs = {"horizontal": (a[:, :-1], a[:, 1:]), "vertical": (a[:-1, :], a[1:, :]),
             "diagonal": (a[:-1, :-1], a[1:, 1:])}
    for direction, (x, y) in pairs.items():
        assert channel["correlation"][direction] == pytest.approx(np.corrcoef(x.ravel(), y.ravel())[0, 1], abs=1e-10)


def test_compare_equal_numpy_and_skimage(shared, key):
    plain, meta = medcrypt.read_image(shared("dicom", "ID_0000_AGE_0060_CONTRAST_1_CT.dcm"))
    cipher, _ = medcrypt.encrypt(plain, scheme="chaos-henon", key=key, like=meta)
    report = medcrypt.compare(plain, cipher, like=meta)
    top = 65535  # the larger bits stored of the two: 12 (plain) and 16 (cipher image)
    assert report["max_value"] == top
    a, b = plain.astype(np.int64), cipher.astype(np.int64)
    mse = float(np.mean((a - b) ** 2.0))
    assert report["npcr"] == pytest.approx(100 * np.mean(a != b), abs=1e-10)
    assert report["uaci"] == pytest.approx(100 * np.mean(np.abs(a - b)) / top, abs=1e-10)
    assert report["mse"] == pytest.approx(mse, rel=1e-12)
    assert report["psnr"] == pytest.approx(10 * np.log10(top ** 2 / mse), rel=1e-12)
    ssim = structural_similarity(a.astype(np.float64), b.astype(np.float64), gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=top)
    assert report["ssim"] == pytest.approx(ssim, abs=1e-9)


def test_ssim_of_a_blurred_image(shared):
    plain, meta = medcrypt.read_image(shared("png", "CT1_chest_512.png"))
    blurred = ((plain[:-1, :-1].astype(np.uint16) + plain[1:, 1:]) // 2).astype(np.uint8)
    report = medcrypt.compare(plain[:-1, :-1], blurred)
    ssim = structural_similarity(plain[:-1, :-1].astype(np.float64), blurred.astype(np.float64), gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False, data_range=255)
    assert report["ssim"] == pytest.approx(ssim, abs=1e-9) and 0.5 < ssim < 1


def test_compare_refuses_other_geometry():
    with pytest.raises(medcrypt.UsageError):
        medcrypt.compare(np.zeros((20, 20), np.uint8), np.zeros((20, 21), np.uint8))
