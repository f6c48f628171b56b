"""Arrays the module is given: wrong dtypes and shapes, strided, unaligned and read-only views, arrays freed
before results are used."""
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


def unaligned(array):
    """A C-contiguous copy of `array` that starts one byte into its buffer (numpy's aligned flag is off)."""
    storage = np.empty(array.nbytes + 1, np.uint8)
    out = storage[1:].view(array.dtype).reshape(array.shape)
    out[...] = array
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


# Arrays that stats and compare cannot read in place: they read numpy's contiguous, aligned copy instead.
NOT_IN_PLACE = {"strided": lambda a: a[::2, 1::3], "transposed": lambda a: a.T, "reversed": lambda a: a[::-1, :],
                "fortran": np.asfortranarray, "unaligned": unaligned}


@pytest.mark.parametrize("view", NOT_IN_PLACE.values(), ids=NOT_IN_PLACE.keys())
def test_stats_and_compare_of_views_equal_contiguous_copies(phantom, view):
    a, b = view(phantom), view(np.roll(phantom, 5, axis=1))
    copy_a, copy_b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    assert not (a.flags.c_contiguous and a.flags.aligned) and copy_a.flags.c_contiguous
    assert medcrypt.stats(a) == medcrypt.stats(copy_a)
    assert medcrypt.stats(a, like={"bits_stored": 12}) == medcrypt.stats(copy_a, like={"bits_stored": 12})
    expected = medcrypt.compare(copy_a, copy_b)
    assert medcrypt.compare(a, b) == expected
    assert medcrypt.compare(a, copy_b) == expected and medcrypt.compare(copy_a, b) == expected


def test_stats_and_compare_of_colour_and_read_only_arrays(phantom):
    rgb = np.stack([phantom, phantom[::-1], np.roll(phantom, 3)], axis=-1)
    assert medcrypt.stats(rgb[:, ::2]) == medcrypt.stats(np.ascontiguousarray(rgb[:, ::2]))
    assert medcrypt.compare(rgb[::-1], rgb) == medcrypt.compare(rgb[::-1].copy(), rgb)
    read_only = phantom.copy()
    read_only.flags.writeable = False
    assert medcrypt.stats(read_only) == medcrypt.stats(phantom)
    assert medcrypt.compare(read_only, phantom[::-1]) == medcrypt.compare(phantom, phantom[::-1])


def test_arrays_freed_right_after_stats_and_compare(phantom):
    expected_stats, expected_compare = medcrypt.stats(phantom), medcrypt.compare(phantom, phantom[::-1])
    image, other = phantom.copy(), phantom[::-1].copy()
    stats, compared = medcrypt.stats(image), medcrypt.compare(image, other)
    del image, other
    gc.collect()
    overwrite = [np.full_like(phantom, 0xffff) for _ in range(4)]  # may take the freed buffers
    assert stats == expected_stats and compared == expected_compare
    # Arrays that only the call holds (freed as it returns), in place and copied.
    assert medcrypt.stats(phantom.copy()) == expected_stats and medcrypt.stats(phantom.T.copy().T) == expected_stats
    assert medcrypt.compare(phantom.copy(), phantom[::-1].copy()) == expected_compare
    del overwrite


@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.float16, ">u2"])
def test_stats_and_compare_refuse_wrong_dtypes_in_place_or_not(phantom, dtype):
    bad = phantom.astype(dtype)
    for array in (bad, bad.T, np.asfortranarray(bad)):
        good = np.zeros(array.shape, np.uint16)
        with pytest.raises(TypeError):
            medcrypt.stats(array)
        with pytest.raises(TypeError):
            medcrypt.compare(good, array)
        with pytest.raises(TypeError):
            medcrypt.compare(array, good)


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
