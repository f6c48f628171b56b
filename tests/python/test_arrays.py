"""Arrays the module is given: wrong dtypes and shapes, strided views, arrays freed before results are used."""
import gc
import threading
import time

import numpy as np
import pytest

import medcrypt


@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.uint64, np.float16, np.complex64, object])
def test_unsupported_dtype_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="expected an array of uint8"):
        medcrypt.stats(np.zeros((16, 16), dtype=dtype))


@pytest.mark.parametrize("shape", [(16,), (2, 3, 16, 16, 1), (2, 16, 16, 2)])
def test_unsupported_shape_is_a_type_error(shape):
    with pytest.raises(TypeError, match="expected an image of shape"):
        medcrypt.stats(np.zeros(shape, dtype=np.uint8))


def test_big_endian_is_a_type_error():
    with pytest.raises(TypeError, match="byte order"):
        medcrypt.stats(np.zeros((16, 16), dtype=">u2"))


def test_not_an_array():
    with pytest.raises(TypeError):
        medcrypt.stats("not an image")


def test_strided_views_are_read_as_numpy_sees_them(phantom):
    for view in (phantom[::2, 1::3], phantom.T, phantom[::-1, :], np.asfortranarray(phantom)):
        assert medcrypt.stats(view) == medcrypt.stats(np.ascontiguousarray(view))
    _, container = medcrypt.encrypt(phantom.T, key=b"k" * 32)
    np.testing.assert_array_equal(medcrypt.decrypt(container, key=b"k" * 32)[0], phantom.T)


def test_arrays_freed_early(phantom, key):
    image = phantom.copy()
    cipher, container = medcrypt.encrypt(image, scheme="chaos-henon", key=key)
    del image
    gc.collect()
    plain, _ = medcrypt.decrypt(container, key=key)
    del container
    gc.collect()
    np.testing.assert_array_equal(plain, phantom)
    assert cipher.base is not None and cipher.flags.owndata is False  # the array holds the C++ pixels
    row = cipher[3].copy()
    view = cipher[3]
    del cipher
    gc.collect()
    np.testing.assert_array_equal(view, row)


def test_no_leak_over_many_calls(key):
    import resource
    image = np.random.default_rng(5).integers(0, 65536, (512, 512), dtype=np.uint16)  # 512 KiB

    def cycle():
        cipher, container = medcrypt.encrypt(image, scheme="chaos-henon", key=key)
        medcrypt.decrypt(container, key=key)
        medcrypt.stats(cipher)
    for _ in range(10):
        cycle()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(100):
        cycle()
    gc.collect()
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    # A leaked image, cipher image or container per cycle would be 50 MiB or more.
    assert grown_kib < 20 * 1024, f"resident set grew by {grown_kib} KiB over 100 cycles"


def test_gil_is_released_during_long_calls():
    # While another thread runs stats on a big image, this thread keeps running Python through the middle
    # of that call: it could not if the call held the GIL.
    image = np.random.default_rng(0).integers(0, 65536, (2048, 2048), dtype=np.uint16)
    window = []

    def work():
        start = time.perf_counter()
        medcrypt.stats(image)
        window.extend([start, time.perf_counter()])
    worker = threading.Thread(target=work)
    stamps = []
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    start, end = window
    quarter = (end - start) / 4
    assert any(start + quarter < t < end - quarter for t in stamps), "no Python ran beside the call"
