"""medcrypt.encrypt / decrypt: round trips through every sendable scheme, and every way they must fail."""
import numpy as np
import pytest

import medcrypt

SENDABLE = [s for s in medcrypt.schemes() if not s["control_only"]]
LOSSLESS = [s["name"] for s in SENDABLE if s["lossless"]]
LOSSY = [s["name"] for s in SENDABLE if not s["lossless"]]


def test_the_registry_is_listed():
    names = {s["name"] for s in medcrypt.schemes()}
    assert {"aead", "chaos-henon", "chaos-henon:paper", "zigzag-gan", "ae-aes"} <= names
    assert LOSSLESS and LOSSY


@pytest.mark.parametrize("scheme", LOSSLESS)
def test_lossless_round_trip_is_bit_exact(scheme, key, phantom):
    info = next(s for s in SENDABLE if s["name"] == scheme)
    cipher, container = medcrypt.encrypt(phantom, scheme=scheme, key=key)
    assert isinstance(container, bytes) and len(container) > phantom.nbytes // 2
    if info["exports_cipher_image"]:
        assert cipher.shape == phantom.shape and not np.array_equal(cipher, phantom)
    else:
        assert cipher is None
    plain, meta = medcrypt.decrypt(container, key=key)
    assert meta["scheme"] == scheme and meta["lossless"]
    assert plain.dtype == phantom.dtype
    np.testing.assert_array_equal(plain, phantom)


@pytest.mark.parametrize("scheme", LOSSLESS)
def test_lossless_round_trip_of_a_real_scan(scheme, key, shared):
    pixels, meta = medcrypt.read_image(shared("dicom", "MR_small.dcm"))
    _, container = medcrypt.encrypt(pixels, scheme=scheme, key=key, like=meta)
    plain, opened = medcrypt.decrypt(container, key=key)
    np.testing.assert_array_equal(plain, pixels)
    assert opened["signed"] and opened["format"] == "dicom" and opened["dicom_attributes"] == meta["dicom_attributes"]


@pytest.mark.parametrize("scheme", LOSSY)
def test_lossy_round_trip_is_close(scheme, key, shared):
    pixels, meta = medcrypt.read_image(shared("png", "CT1_chest_512.png"))
    _, container = medcrypt.encrypt(pixels, scheme=scheme, key=key, like=meta)
    plain, opened = medcrypt.decrypt(container, key=key)
    assert not opened["lossless"] and plain.shape == pixels.shape and plain.dtype == pixels.dtype
    assert medcrypt.compare(pixels, plain)["psnr"] > 20


def test_rgb_and_frames_round_trip(key):
    rng = np.random.default_rng(3)
    for image in (rng.integers(0, 256, (40, 50, 3), dtype=np.uint8), rng.integers(0, 4096, (4, 30, 20), dtype=np.uint16)):
        cipher, container = medcrypt.encrypt(image, scheme="chaos-henon", key=key)
        assert cipher.shape == image.shape
        np.testing.assert_array_equal(medcrypt.decrypt(container, key=key)[0], image)


def test_key_file(key_file, phantom):
    _, container = medcrypt.encrypt(phantom, key=str(key_file))
    np.testing.assert_array_equal(medcrypt.decrypt(container, key=key_file)[0], phantom)


def test_wrong_key(key, phantom):
    _, container = medcrypt.encrypt(phantom, key=key)
    with pytest.raises(medcrypt.WrongKeyError) as e:
        medcrypt.decrypt(container, key=medcrypt.keygen())
    assert e.value.exit_code == 7


def test_tampered_container(key, phantom):
    _, container = medcrypt.encrypt(phantom, key=key)
    for position in (len(container) // 2, len(container) - 1):
        tampered = bytearray(container)
        tampered[position] ^= 0x01
        with pytest.raises(medcrypt.AuthenticationError) as e:
            medcrypt.decrypt(bytes(tampered), key=key)
        assert e.value.exit_code == 8
    with pytest.raises(medcrypt.MalformedContainerError):
        medcrypt.decrypt(container[:-100], key=key)


def test_bad_keys(phantom):
    with pytest.raises(medcrypt.BadKeyError):
        medcrypt.encrypt(phantom, key=b"short")
    with pytest.raises(TypeError):
        medcrypt.encrypt(phantom, key=42)


def test_unknown_scheme(key, phantom):
    with pytest.raises(medcrypt.UsageError) as e:
        medcrypt.encrypt(phantom, scheme="no-such-scheme", key=key)
    assert str(e.value).startswith("unknown scheme 'no-such-scheme'") and e.value.exit_code == 2
    assert isinstance(e.value, ValueError)


def test_control_cipher_is_refused(key, phantom):
    with pytest.raises(medcrypt.UsageError):
        medcrypt.encrypt(phantom, scheme="demo-weak", key=key)


def test_scheme_params(key, phantom):
    for params in ("rounds=3;block=16", {"rounds": 3, "block": 16}):
        _, container = medcrypt.encrypt(phantom, scheme="chaos-henon", key=key, params=params)
        np.testing.assert_array_equal(medcrypt.decrypt(container, key=key)[0], phantom)
    with pytest.raises(medcrypt.UsageError):
        medcrypt.encrypt(phantom, scheme="chaos-henon", key=key, params={"no-such-parameter": 1})
