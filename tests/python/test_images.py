"""medcrypt.read_image / write_image: the pixels and metadata of real files, and files written back."""
import gc

import numpy as np
import pydicom
import pytest

import medcrypt


def test_dicom_pixels_equal_pydicom(shared):
    path = shared("dicom", "CT_small.dcm")
    pixels, meta = medcrypt.read_image(path)
    assert pixels.dtype == np.int16 and pixels.shape == (128, 128)
    assert meta["bits_stored"] == 16 and meta["signed"] and meta["modality"] == "CT"
    assert meta["frames"] == 1 and meta["samples"] == 1 and meta["photometric"] == "MONOCHROME2"
    assert meta["format"] == "dicom" and meta["dicom_attributes"]
    np.testing.assert_array_equal(pixels, pydicom.dcmread(path).pixel_array)


def test_multiframe_and_colour_shapes(shared):
    frames, meta = medcrypt.read_image(shared("dicom", "emri_small.dcm"))
    assert frames.shape == (10, 64, 64) and frames.dtype == np.uint16 and meta["bits_stored"] == 12
    rgb, meta = medcrypt.read_image(shared("dicom", "US1_UNCR.dcm"))
    assert rgb.shape == (480, 640, 3) and rgb.dtype == np.uint8 and meta["photometric"] == "RGB"
    np.testing.assert_array_equal(rgb, pydicom.dcmread(shared("dicom", "US1_UNCR.dcm")).pixel_array)


def test_dicom_written_back_keeps_pixels_and_attributes(shared, tmp_path):
    pixels, meta = medcrypt.read_image(shared("dicom", "ID_0000_AGE_0060_CONTRAST_1_CT.dcm"))
    out = tmp_path / "copy.dcm"
    medcrypt.write_image(out, pixels, like=meta)
    again, meta2 = medcrypt.read_image(out)
    np.testing.assert_array_equal(again, pixels)
    assert meta2["bits_stored"] == 12 and meta2["modality"] == "CT"
    original, written = pydicom.dcmread(shared("dicom", "ID_0000_AGE_0060_CONTRAST_1_CT.dcm")), pydicom.dcmread(out)
    assert written.PatientID == original.PatientID and written.SOPInstanceUID == original.SOPInstanceUID


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_round_trip(tmp_path, dtype):
    pixels = np.arange(60 * 70, dtype=np.uint32).reshape(60, 70).astype(dtype)
    medcrypt.write_image(tmp_path / "a.png", pixels)
    again, meta = medcrypt.read_image(tmp_path / "a.png")
    assert meta["format"] == "png" and again.dtype == dtype
    np.testing.assert_array_equal(again, pixels)


def test_array_outlives_everything_else(shared):
    pixels, meta = medcrypt.read_image(shared("dicom", "MR_small.dcm"))
    expected = pixels.copy()
    view = pixels[10:20, ::3]
    del pixels, meta
    gc.collect()
    np.testing.assert_array_equal(view, expected[10:20, ::3])


def test_missing_and_malformed_files(shared, tmp_path):
    with pytest.raises(medcrypt.IoError):
        medcrypt.read_image(tmp_path / "absent.dcm")
    with pytest.raises(medcrypt.InvalidImageError) as e:
        medcrypt.read_image(shared("dicom", "MR_truncated.dcm"))
    assert e.value.exit_code == 4 and "\n" not in str(e.value)
    assert isinstance(e.value, medcrypt.Error)
