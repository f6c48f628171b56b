#!/usr/bin/python3
"""Reference decodes and generated inputs for medcrypt's image tests.

The references come from code independent of medcrypt's readers: pydicom (its numpy, RLE and Pillow
handlers), Pillow, a minimal PNG encoder written here, and, only where Debian's pydicom cannot decode a
syntax (JPEG lossless and 12-bit, JPEG-LS, fragmented multi-frame JPEG), DCMTK's command-line decoders
(dcmdjpeg, dcmdjpls) followed by pydicom. For those files the check is "medcrypt's use of the DCMTK
library gives what DCMTK's own tools give".

  image_reference.py decode IMAGE OUT      pixels of IMAGE as raw words (little-endian, frame after frame,
                                           samples interleaved); prints {"shape", "dtype", "via"} as JSON
  image_reference.py png-cases DIR         PNGs of every colour type and depth; for each NAME.png a
                                           NAME.raw (what medcrypt must decode) and NAME.json, or for
                                           broken ones only NAME.json with the expected error
  image_reference.py dicom-cases DIR       synthetic DICOM files, valid (NAME.raw, NAME.json with the
                                           geometry) and malformed (NAME.json with the expected error)
  image_reference.py tiff-cases DIR        TIFFs written by Pillow, with NAME.raw or an expected error
  image_reference.py jpeg-cases DIR        JPEGs written by Pillow (grey, subsampled, progressive, CMYK)
  image_reference.py short-frame-cases DIR three-frame files of each compressed syntax whose frame 2 is coded
                                           smaller than Rows x Columns; NAME.json names the DCMTK decoder
                                           medcrypt must agree with, or the expected error
  image_reference.py kind-cases DIR        DICOM files without preamble or meta header, with padded Pixel
                                           Data, YBR_FULL_422, fragmented JPEG-LS frames, missing RLE frames,
                                           1-bit, 32-bit and float samples: NAME.raw from an independent
                                           decoder, NAME.json with geometry, notes and round-trip rule
  image_reference.py fuzz-seeds DIR        tiny DICOM files of every supported syntax, as fuzzer seeds

Exits with status 77 when a module it needs is missing, so that the calling test can skip.
"""

import io
import json
import warnings
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

try:
    import numpy as np
    import pydicom
    from PIL import Image, ImageSequence
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.dataelem import RawDataElement
    from pydicom.encaps import encapsulate, generate_pixel_data_frame
    from pydicom.tag import Tag
    from pydicom.uid import generate_uid
    # pydicom warns about Pixel Data longer than its samples, which some test files are on purpose.
    warnings.filterwarnings("ignore", message=".*excess padding.*")
except ImportError as error:  # the test reports this as a skip
    print(f"missing Python module: {error}", file=sys.stderr)
    sys.exit(77)

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
RLE = "1.2.840.10008.1.2.5"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
# Where pydicom on Debian has no decoder: DCMTK's own tool for that syntax.
JPEG_LOSSY = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51")
DCMTK_DECODERS = {"1.2.840.10008.1.2.4.80": "dcmdjpls", "1.2.840.10008.1.2.4.81": "dcmdjpls"}


def as_words(array, bits):
    """The stored words of `array` as little-endian bytes (signed values as two's complement)."""
    unsigned = np.dtype(f"<u{bits // 8}")
    if array.dtype.kind == "i":
        array = array.astype(f"<i{bits // 8}").view(unsigned)
    return np.ascontiguousarray(array.astype(unsigned)).tobytes()


# ---------------------------------------------------------------------------------------------- decode

def decode_dicom(path):
    dataset = pydicom.dcmread(path, force=True)  # forced: files without a preamble or meta header too
    if "TransferSyntaxUID" not in dataset.file_meta:  # a bare data set: the encoding pydicom detected
        dataset.file_meta.TransferSyntaxUID = (IMPLICIT_LE if dataset.is_implicit_VR
                                               else EXPLICIT_LE if dataset.is_little_endian else EXPLICIT_BE)
    syntax = str(dataset.file_meta.TransferSyntaxUID)
    # For lossy JPEG in YBR, pydicom (through Pillow) keeps YCbCr where DCMTK's decoder converts to RGB.
    lossy_jpeg_ybr = syntax in JPEG_LOSSY and dataset.PhotometricInterpretation.startswith("YBR")
    pixels, via = None, "pydicom"
    if not lossy_jpeg_ybr:
        try:
            pixels = dataset.pixel_array
        except Exception:  # no pydicom handler for this syntax: DCMTK's tool decompresses instead
            pass
    if pixels is None:
        tool = DCMTK_DECODERS.get(syntax, "dcmdjpeg")
        with tempfile.TemporaryDirectory() as scratch:
            plain = os.path.join(scratch, "plain.dcm")
            subprocess.run([tool, path, plain], check=True, capture_output=True)
            dataset = pydicom.dcmread(plain)
            pixels = dataset.pixel_array
        via = f"pydicom after {tool}"
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    shape = (frames, dataset.Rows, dataset.Columns, dataset.SamplesPerPixel)
    return pixels.reshape(shape), int(dataset.BitsAllocated), via


def decode_pillow(path):
    frames = []
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            if frame.mode in ("P", "PA", "RGBA", "CMYK", "YCbCr"):
                frame = frame.convert("RGB")
            elif frame.mode in ("LA", "1"):
                frame = frame.convert("L")
            array = np.array(frame)
            if frame.mode.startswith("I"):  # Pillow keeps 16-bit grey as 32-bit 'I' or 'I;16'
                array = array.astype(np.uint16)
            frames.append(array if array.ndim == 3 else array[:, :, np.newaxis])
    stack = np.stack(frames)
    return stack, 16 if stack.dtype == np.uint16 else 8, "Pillow"


def decode(path, out):
    with open(path, "rb") as handle:
        header = handle.read(132)
    dicom = header[128:132] == b"DICM" or path.endswith(".dcm")
    pixels, bits, via = decode_dicom(path) if dicom else decode_pillow(path)
    with open(out, "wb") as handle:
        # Floats and 1-bit samples (one byte each) as they are; integers as words of Bits Allocated.
        handle.write(little_endian_bytes(pixels) if pixels.dtype.kind == "f" or bits == 1 else as_words(pixels, bits))
    print(json.dumps({"shape": list(pixels.shape), "dtype": str(pixels.dtype), "via": via}))


# -------------------------------------------------------------------------------------------- PNG cases

def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_rows(samples, depth):
    """Scanlines (each with filter byte 0) of an (h, w, c) array of sample values."""
    rows = []
    for row in samples:
        flat = row.reshape(-1).astype(np.uint32)
        if depth == 16:
            data = flat.astype(">u2").tobytes()
        elif depth == 8:
            data = flat.astype(np.uint8).tobytes()
        else:  # pack MSB first
            per_byte = 8 // depth
            padded = np.zeros(-(-flat.size // per_byte) * per_byte, dtype=np.uint32)
            padded[: flat.size] = flat
            shifts = np.arange(per_byte - 1, -1, -1) * depth
            data = (padded.reshape(-1, per_byte) << shifts).sum(axis=1).astype(np.uint8).tobytes()
        rows.append(b"\0" + data)
    return b"".join(rows)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, depth, colour_type, chunks=(), interlace=False):
    height, width = samples.shape[:2]
    if interlace:
        raw = b"".join(png_rows(samples[y0::dy, x0::dx], depth)
                       for x0, y0, dx, dy in ADAM7 if samples[y0::dy, x0::dx].size)
    else:
        raw = png_rows(samples, depth)
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 1 if interlace else 0)
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header))
        for tag, data in chunks:
            handle.write(png_chunk(tag, data))
        handle.write(png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def png_cases(directory):
    rng = np.random.default_rng(20240601)
    height, width = 13, 17

    def grey(depth):
        return rng.integers(0, 1 << depth, (height, width, 1), dtype=np.uint32)

    def case(name, samples, depth, colour_type, expected, bits_stored=None, note="", chunks=(),
             interlace=False):
        write_png(os.path.join(directory, f"{name}.png"), samples, depth, colour_type, chunks, interlace)
        bits = 16 if expected.dtype == np.uint16 else 8
        with open(os.path.join(directory, f"{name}.raw"), "wb") as handle:
            handle.write(as_words(expected, bits))
        meta = {"samples": int(expected.shape[2]), "bits_allocated": bits,
                "bits_stored": bits_stored or bits, "note": note}
        with open(os.path.join(directory, f"{name}.json"), "w") as handle:
            json.dump(meta, handle)

    for depth, scale in ((1, 255), (2, 85), (4, 17)):
        values = grey(depth)
        case(f"grey{depth}", values, depth, 0, (values * scale).astype(np.uint8), note=f"{depth}-bit grey")
    values = grey(2)
    case("grey2_interlaced", values, 2, 0, (values * 85).astype(np.uint8), note="2-bit grey", interlace=True)
    values = grey(8)
    case("grey8", values, 8, 0, values.astype(np.uint8))
    case("grey8_trns", values, 8, 0, values.astype(np.uint8), note="tRNS",
         chunks=[(b"tRNS", struct.pack(">H", 7))])
    values = grey(16)
    case("grey16", values, 16, 0, values.astype(np.uint16))
    case("grey16_interlaced", values, 16, 0, values.astype(np.uint16), interlace=True)
    values = grey(12)
    case("grey16_sbit12", values, 16, 0, values.astype(np.uint16), bits_stored=12,
         chunks=[(b"sBIT", bytes([12]))])
    for depth in (8, 16):
        values = rng.integers(0, 1 << depth, (height, width, 3), dtype=np.uint32)
        expected = values.astype(np.uint16 if depth == 16 else np.uint8)
        case(f"rgb{depth}", values, depth, 2, expected)
        case(f"rgb{depth}_interlaced", values, depth, 2, expected, interlace=True)
        alpha = rng.integers(0, 1 << depth, (height, width, 1), dtype=np.uint32)
        case(f"rgba{depth}", np.concatenate([values, alpha], axis=2), depth, 6, expected, note="alpha")
        case(f"greyalpha{depth}", np.concatenate([values[:, :, :1], alpha], axis=2), depth, 4,
             expected[:, :, :1], note="alpha")
    def broken(name, data, error, contains):
        with open(os.path.join(directory, f"{name}.png"), "wb") as handle:
            handle.write(data)
        with open(os.path.join(directory, f"{name}.json"), "w") as handle:
            json.dump({"error": error, "contains": contains}, handle)

    with open(os.path.join(directory, "grey8.png"), "rb") as handle:
        good = handle.read()
    idat = good.index(b"IDAT")
    flipped = bytearray(good)
    flipped[idat + 4 + struct.unpack(">I", good[idat - 4: idat])[0]] ^= 0x40  # the chunk's CRC
    broken("bad_crc", bytes(flipped), "kInvalidImage", "CRC")
    # Image data that stops early (a deflate stream cut short) inside a well-formed chunk sequence.
    short = zlib.compress(png_rows(grey(8), 8)[: height * (width + 1) // 2])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    broken("short_image_data", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", short) +
           png_chunk(b"IEND", b""), "kInvalidImage", "malformed PNG")
    # A header promising 65535 x 65535 x 48 bits over a few bytes of data.
    header = struct.pack(">IIBBBBB", 65535, 65535, 16, 2, 0, 0, 0)
    broken("lying_header", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) +
           png_chunk(b"IDAT", zlib.compress(bytes(100))) + png_chunk(b"IEND", b""), "kInvalidImage", "cannot fit")

    for depth in (4, 8):
        palette = rng.integers(0, 256, (1 << depth, 3), dtype=np.uint8)
        indices = rng.integers(0, 1 << depth, (height, width, 1), dtype=np.uint32)
        expected = palette[indices[:, :, 0]]
        plte = (b"PLTE", palette.tobytes())
        case(f"palette{depth}", indices, depth, 3, expected, note="palette", chunks=[plte])
        case(f"palette{depth}_trns", indices, depth, 3, expected, note="palette",
             chunks=[plte, (b"tRNS", bytes(range(0, 1 << depth)))])


# ------------------------------------------------------------------------------------------ DICOM cases

def new_dataset(path, rows, columns, samples=1, bits=16, stored=None, signed=False, photometric=None,
                frames=1, syntax=EXPLICIT_LE):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = generate_uid()
    dataset = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    dataset.is_little_endian = syntax != EXPLICIT_BE
    dataset.is_implicit_VR = syntax == IMPLICIT_LE
    dataset.SOPClassUID = SECONDARY_CAPTURE
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.PatientName = "SYNTHETIC^TEST"
    dataset.Modality = "OT"
    dataset.Rows = rows
    dataset.Columns = columns
    dataset.SamplesPerPixel = samples
    dataset.PhotometricInterpretation = photometric or ("RGB" if samples == 3 else "MONOCHROME2")
    dataset.BitsAllocated = bits
    dataset.BitsStored = stored or bits
    dataset.HighBit = (stored or bits) - 1
    dataset.PixelRepresentation = 1 if signed else 0
    if samples == 3:
        dataset.PlanarConfiguration = 0
    if frames > 1:
        dataset.NumberOfFrames = frames
    return dataset


def random_pixels(rng, frames, rows, columns, samples, bits, stored, signed):
    if signed:
        low, high = -(1 << (stored - 1)), 1 << (stored - 1)
        return rng.integers(low, high, (frames, rows, columns, samples)).astype(f"i{bits // 8}")
    return rng.integers(0, 1 << stored, (frames, rows, columns, samples)).astype(f"u{bits // 8}")


def j2k_codestream(frame, mct=0):
    """One lossless J2K codestream of an (h, w, c) frame, by Pillow (OpenJPEG)."""
    image = Image.fromarray(frame[:, :, 0] if frame.shape[2] == 1 else frame)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG2000", irreversible=False, no_jp2=True, mct=mct)
    return buffer.getvalue()


def save(dataset, directory, name, expected=None, geometry=None, error=None, contains=None):
    path = os.path.join(directory, f"{name}.dcm")
    dataset.save_as(path, write_like_original=False)
    meta = {}
    if expected is not None:
        with open(os.path.join(directory, f"{name}.raw"), "wb") as handle:
            handle.write(as_words(expected, 16 if expected.dtype.itemsize == 2 else 8))
        meta["geometry"] = geometry
    if error is not None:
        meta["error"] = error
        meta["contains"] = contains or ""
    with open(os.path.join(directory, f"{name}.json"), "w") as handle:
        json.dump(meta, handle)
    return path


def geometry_of(dataset, photometric=None):
    return {"width": dataset.Columns, "height": dataset.Rows, "frames": int(dataset.get("NumberOfFrames", 1)),
            "samples": dataset.SamplesPerPixel, "bits_allocated": dataset.BitsAllocated,
            "bits_stored": dataset.BitsStored, "is_signed": dataset.PixelRepresentation == 1,
            "photometric": photometric or dataset.PhotometricInterpretation}


def native(dataset, pixels, planar=False):
    """Sets uncompressed Pixel Data from (frames, h, w, c) pixels, colour-by-plane if asked."""
    if planar:
        dataset.PlanarConfiguration = 1
        pixels = pixels.transpose(0, 3, 1, 2)
    order = "<" if dataset.is_little_endian else ">"
    data = np.ascontiguousarray(pixels).astype(f"{order}{pixels.dtype.kind}{pixels.dtype.itemsize}").tobytes()
    dataset.PixelData = data
    dataset["PixelData"].VR = "OB" if dataset.BitsAllocated == 8 else "OW"


def encapsulated(dataset, frames, fragments_per_frame=1, has_bot=True):
    dataset.PixelData = encapsulate(frames, fragments_per_frame=fragments_per_frame, has_bot=has_bot)
    dataset["PixelData"].VR = "OB"
    dataset["PixelData"].is_undefined_length = True


def dicom_cases(directory):
    rng = np.random.default_rng(7)

    def valid(name, rows, columns, samples=1, bits=16, stored=None, signed=False, frames=1, syntax=EXPLICIT_LE,
              planar=False):
        path = os.path.join(directory, f"{name}.dcm")
        dataset = new_dataset(path, rows, columns, samples, bits, stored, signed, frames=frames, syntax=syntax)
        pixels = random_pixels(rng, frames, rows, columns, samples, bits, stored or bits, signed)
        native(dataset, pixels, planar)
        save(dataset, directory, name, pixels, geometry_of(dataset))

    valid("planar_rgb8", 11, 7, samples=3, bits=8, frames=2, planar=True)
    valid("planar_rgb16_big_endian", 5, 9, samples=3, bits=16, stored=12, syntax=EXPLICIT_BE, planar=True)
    valid("signed8_implicit", 6, 10, bits=8, signed=True, syntax=IMPLICIT_LE)
    valid("odd_length8", 5, 3, bits=8)
    valid("signed12_big_endian", 9, 4, bits=16, stored=12, signed=True, syntax=EXPLICIT_BE, frames=3)

    # JPEG 2000: multi-frame, fragmented, with and without a Basic Offset Table.
    frames, rows, columns = 3, 24, 40
    pixels = random_pixels(rng, frames, rows, columns, 1, 16, 12, False)
    streams = [j2k_codestream(frame) for frame in pixels]
    for name, per_frame, bot in (("j2k_fragmented_no_bot", 3, False), ("j2k_fragmented_bot", 2, True),
                                 ("j2k_one_fragment_per_frame", 1, False)):
        dataset = new_dataset(name, rows, columns, stored=12, frames=frames, syntax=J2K_LOSSLESS)
        encapsulated(dataset, streams, per_frame, bot)
        save(dataset, directory, name, pixels, geometry_of(dataset))
    # Lossy (irreversible wavelet): the expected pixels are Pillow's (OpenJPEG's) decode of the codestream.
    buffer = io.BytesIO()
    Image.fromarray(pixels[0, :, :, 0]).save(buffer, format="JPEG2000", irreversible=True, no_jp2=True,
                                             quality_mode="rates", quality_layers=[8])
    lossy = buffer.getvalue()
    decoded = np.array(Image.open(io.BytesIO(lossy))).astype(np.uint16).reshape(1, rows, columns, 1)
    dataset = new_dataset("j2k_lossy", rows, columns, stored=12, syntax="1.2.840.10008.1.2.4.91")
    encapsulated(dataset, [lossy])
    save(dataset, directory, "j2k_lossy", decoded, geometry_of(dataset))
    # Colour: the codestream's reversible colour transform comes back as RGB.
    colour = random_pixels(rng, 1, 20, 30, 3, 8, 8, False)
    for name, photometric, mct in (("j2k_ybr_rct", "YBR_RCT", 1), ("j2k_rgb", "RGB", 0)):
        dataset = new_dataset(name, 20, 30, samples=3, bits=8, photometric=photometric, syntax=J2K_LOSSLESS)
        encapsulated(dataset, [j2k_codestream(colour[0], mct)])
        save(dataset, directory, name, colour, geometry_of(dataset, "RGB"))

    def malformed(name, error, contains="", **changes):
        dataset = new_dataset(name, 8, 8)
        native(dataset, random_pixels(rng, 1, 8, 8, 1, 16, 16, False))
        for keyword, value in changes.items():
            if value is None:
                delattr(dataset, keyword)
            elif isinstance(value, RawDataElement):
                dataset[value.tag] = value
            else:
                setattr(dataset, keyword, value)
        save(dataset, directory, name, error=error, contains=contains)
        return dataset

    def raw_is(tag, text):
        value = text.encode() + (b" " if len(text) % 2 else b"")
        return RawDataElement(Tag(tag), "IS", len(value), value, 0, False, True)

    malformed("rows_zero", "kLimits", "empty", Rows=0)
    malformed("columns_zero", "kLimits", "empty", Columns=0)
    malformed("frames_2_31", "kLimits", "2147483648", NumberOfFrames=raw_is(0x00280008, "2147483648"))
    malformed("frames_2_31_minus_1", "kLimits", "2147483647", NumberOfFrames=raw_is(0x00280008, "2147483647"))
    malformed("frames_text", "kInvalidImage", "Number of Frames", NumberOfFrames=raw_is(0x00280008, "abc"))
    malformed("frames_negative", "kInvalidImage", "Number of Frames", NumberOfFrames=raw_is(0x00280008, "-4"))
    malformed("bits_allocated_1_rgb", "kUnsupported", "1-bit pixel data with 3 samples per pixel", BitsAllocated=1,
              BitsStored=1, HighBit=0, SamplesPerPixel=3, PhotometricInterpretation="RGB", PlanarConfiguration=0)
    malformed("bits_allocated_12", "kUnsupported", "Bits Allocated 12", BitsAllocated=12, BitsStored=12)
    malformed("bits_allocated_32_short", "kInvalidImage", "Pixel Data holds 128 bytes", BitsAllocated=32,
              BitsStored=32)
    malformed("bits_allocated_64", "kUnsupported", "Bits Allocated 64", BitsAllocated=64, BitsStored=64)
    malformed("bits_stored_17", "kInvalidImage", "Bits Stored 17", BitsStored=17)
    malformed("samples_4", "kUnsupported", "Samples per Pixel 4", SamplesPerPixel=4)
    malformed("pixel_representation_2", "kInvalidImage", "Pixel Representation", PixelRepresentation=2)
    malformed("no_photometric", "kInvalidImage", "Photometric", PhotometricInterpretation=None)
    malformed("no_rows", "kInvalidImage", "Rows", Rows=None)
    malformed("no_pixel_data", "kInvalidImage", "no Pixel Data", PixelData=None)
    malformed("pixel_data_short", "kInvalidImage", "Pixel Data holds 126 bytes", PixelData=bytes(126))
    # Float Pixel Data beside Pixel Data: which holds the image?
    dataset = new_dataset("float_and_pixel_data", 8, 8, bits=32)
    native(dataset, random_pixels(rng, 1, 8, 8, 1, 32, 32, False))
    dataset.FloatPixelData = np.zeros(64, dtype="<f4").tobytes()
    save(dataset, directory, "float_and_pixel_data", error="kInvalidImage", contains="more than one kind of Pixel Data")

    def compressed(name, syntax, fragment, error, contains, rows=8, columns=8, frames=1, bits=16):
        dataset = new_dataset(name, rows, columns, bits=bits, frames=frames, syntax=syntax)
        encapsulated(dataset, [fragment])
        return save(dataset, directory, name, error=error, contains=contains)

    mpeg2 = "1.2.840.10008.1.2.4.100"
    compressed("mpeg2", mpeg2, bytes(64), "kUnsupported", mpeg2)
    # HTJ2K is newer than pydicom 2.3 and DCMTK 3.6.7: write MPEG2, then swap in its UID of the same length.
    path = compressed("unknown_syntax_htj2k", mpeg2, bytes(64), "kUnsupported", "1.2.840.10008.1.2.4.201")
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data.replace(mpeg2.encode(), b"1.2.840.10008.1.2.4.201", 1))
    compressed("jpeg_garbage", "1.2.840.10008.1.2.4.70", b"\xff\xd8" + bytes(62), "kInvalidImage", "decompress")
    compressed("rle_garbage", RLE, bytes(64), "kInvalidImage", "decompress")
    # DCMTK 3.6.7's JPEG decoder would loop forever on this TEM marker; medcrypt refuses it first.
    compressed("jpeg_tem_marker", "1.2.840.10008.1.2.4.50", b"\xff\xd8\xff\x01" + bytes(60), "kInvalidImage", "TEM")
    compressed("rle_claims_gigabytes", RLE, bytes(64), "kLimits", "implausible", rows=65535, columns=65535)
    stream = j2k_codestream(random_pixels(rng, 1, 8, 8, 1, 16, 16, False)[0])
    compressed("j2k_truncated", J2K_LOSSLESS, stream[: len(stream) // 2], "kInvalidImage", "JPEG 2000")
    compressed("j2k_not_a_codestream", J2K_LOSSLESS, bytes(64), "kInvalidImage", "JPEG 2000")
    compressed("j2k_wrong_size", J2K_LOSSLESS, stream, "kInvalidImage", "8x8", rows=8, columns=16)
    compressed("j2k_too_few_frames", J2K_LOSSLESS, stream, "kInvalidImage", "frames", frames=2)
    # 1-bit samples: JPEG 2000 frames must be coded at precision 1; no peer writes them in RLE.
    compressed("j2k_bits1_precision_16", J2K_LOSSLESS, stream, "kInvalidImage", "precision 16 does not fit 1-bit",
               bits=1)
    compressed("rle_bits1", RLE, bytes(64), "kUnsupported", "1-bit samples in RLE Lossless are not supported", bits=1)
    dataset = new_dataset("j2k_bad_offset_table", 8, 8, frames=2, syntax=J2K_LOSSLESS)
    encapsulated(dataset, [stream, stream], has_bot=True)
    data = bytearray(dataset.PixelData)
    data[12:16] = struct.pack("<I", 3)  # the second frame's offset, pointing into the first fragment
    dataset.PixelData = bytes(data)
    save(dataset, directory, "j2k_bad_offset_table", error="kInvalidImage", contains="Basic Offset Table")


# ------------------------------------------------------------------------------- frames coded too small

def with_small_frame(directory, name, rng, rows, columns, small, encode=None, samples=1, bits=8, stored=None,
                     syntax=None):
    """A three-frame file, Rows x Columns, whose frame 2 is coded as a small[0] x small[1] image (rows, columns),
    as a whole-slide image's edge tile may be. `encode` is a DCMTK encoder command line, run on uncompressed
    files of each size, whose frames are then spliced; without it frames are J2K codestreams by Pillow."""
    stored = stored or bits
    path = os.path.join(directory, f"{name}.dcm")
    full = random_pixels(rng, 3, rows, columns, samples, bits, stored, False)
    part = random_pixels(rng, 1, small[0], small[1], samples, bits, stored, False)
    if encode is None:
        dataset = new_dataset(path, rows, columns, samples, bits, stored, frames=3, syntax=syntax)
        frames = [j2k_codestream(frame) for frame in full]
        frames[1] = j2k_codestream(part[0])
    else:
        encoded = []
        for label, pixels in (("full", full), ("part", part)):
            plain = os.path.join(directory, f"{name}_{label}_plain.dcm")
            dataset = new_dataset(plain, pixels.shape[1], pixels.shape[2], samples, bits, stored,
                                  frames=len(pixels))
            native(dataset, pixels)
            dataset.save_as(plain, write_like_original=False)
            packed = os.path.join(directory, f"{name}_{label}.dcm")
            subprocess.run(encode + [plain, packed], check=True, capture_output=True)
            os.remove(plain)
            encoded.append(pydicom.dcmread(packed))
            os.remove(packed)
        dataset, part_dataset = encoded
        frames = list(generate_pixel_data_frame(dataset.PixelData, 3))
        frames[1] = next(generate_pixel_data_frame(part_dataset.PixelData, 1))
    encapsulated(dataset, frames)
    dataset.save_as(path, write_like_original=False)
    return path


def short_frame_cases(directory):
    rng = np.random.default_rng(17)
    rows, columns, small = 24, 40, (9, 13)

    def case(name, expected, **options):
        with_small_frame(directory, name, rng, rows, columns, small, **options)
        with open(os.path.join(directory, f"{name}.json"), "w") as handle:
            json.dump(expected, handle)

    dcmdjpeg = {"reference": "dcmdjpeg", "covers": f"{small[1]}x{small[0]} of {columns}x{rows}",
                "covered_pixels": small[0] * small[1]}
    case("jpeg_baseline_grey8", dcmdjpeg, encode=["dcmcjpeg", "+eb"])
    case("jpeg_baseline_rgb", dcmdjpeg, encode=["dcmcjpeg", "+eb"], samples=3)
    case("jpeg_lossless_u16", dcmdjpeg, encode=["dcmcjpeg", "+e1"], bits=16, stored=12)
    # Codestreams that carry no size (RLE) or one medcrypt checks (JPEG-LS, JPEG 2000) are refused.
    case("rle_u16", {"error": "kInvalidImage", "contains": "frame 2: RLE segment 1 is too short"},
         encode=["dcmcrle"], bits=16)
    case("jpegls_u16", {"error": "kInvalidImage",
                        "contains": f"frame 2: JPEG-LS stream is {small[1]}x{small[0]}, the DICOM header says "
                                    f"{columns}x{rows}"},
         encode=["dcmcjpls"], bits=16)
    case("j2k_u16", {"error": "kInvalidImage",
                     "contains": f"frame 2: JPEG 2000 codestream is {small[1]}x{small[0]}, the DICOM header "
                                 f"says {columns}x{rows}"},
         bits=16, stored=12, syntax=J2K_LOSSLESS)


# ---------------------------------------------------------------------- layouts and kinds of pixel

def independent_pixels(path, via):
    """Pixels of `path` as decoded without medcrypt, shaped (frames, rows, columns, samples): by pydicom (forced
    to read files without a preamble or meta header, as DCMTK does), or by the DCMTK tool named in `via`
    ("dcmdjpls", "dcmconv +te", ...) followed by pydicom."""
    if via != "pydicom":
        with tempfile.TemporaryDirectory() as scratch:
            plain = os.path.join(scratch, "plain.dcm")
            subprocess.run(via.split() + [path, plain], check=True, capture_output=True)
            return independent_pixels(plain, "pydicom")
    pixels, _, _ = decode_dicom(path)
    return pixels


def little_endian_bytes(array):
    return np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()


def kind_cases(directory):
    """Files laid out or holding pixels as medcrypt once could not read: no preamble, no meta header, Pixel Data
    longer than its samples, uncompressed YBR_FULL_422, JPEG-LS frames over several fragments, RLE with fewer
    frames than Number of Frames claims, 1-bit, 32-bit and floating point samples. For each valid NAME.dcm,
    NAME.raw holds the pixels an independent decoder gives (`via`) and NAME.json the geometry medcrypt must
    report, notes it must make, and how the file must come back when written ("bytes": identical; "pixels":
    the same pixels); broken ones have only NAME.json with the expected error."""
    rng = np.random.default_rng(27)
    os.makedirs(directory, exist_ok=True)

    def path_of(name):
        return os.path.join(directory, f"{name}.dcm")

    def expect(name, via, geometry, notes=(), round_trip="bytes", no_preamble=False):
        pixels = independent_pixels(path_of(name), via)
        with open(os.path.join(directory, f"{name}.raw"), "wb") as handle:
            handle.write(little_endian_bytes(pixels))
        meta = {"via": via, "geometry": geometry, "notes": list(notes), "round_trip": round_trip,
                "no_preamble": no_preamble}
        with open(os.path.join(directory, f"{name}.json"), "w") as handle:
            json.dump(meta, handle)
        return pixels

    def refuse(name, error, contains):
        with open(os.path.join(directory, f"{name}.json"), "w") as handle:
            json.dump({"error": error, "contains": contains}, handle)

    def geometry(rows, columns, frames=1, samples=1, bits=16, stored=None, signed=False, photometric=None):
        return {"width": columns, "height": rows, "frames": frames, "samples": samples, "bits_allocated": bits,
                "bits_stored": bits if stored is None else stored, "is_signed": signed,
                "photometric": photometric or ("RGB" if samples == 3 else "MONOCHROME2")}

    def plain(name, rows, columns, frames=1, samples=1, bits=16, stored=None, signed=False, syntax=EXPLICIT_LE,
              planar=False):
        dataset = new_dataset(path_of(name), rows, columns, samples, bits, stored, signed, frames=frames,
                              syntax=syntax)
        native(dataset, random_pixels(rng, frames, rows, columns, samples, bits, stored or bits, signed), planar)
        return dataset

    def write(dataset, name):
        dataset.save_as(path_of(name), write_like_original=False)
        return path_of(name)

    def convert(name, source, command):
        subprocess.run(command.split() + [source, path_of(name)], check=True, capture_output=True)

    notes_no_preamble = ["no 128-byte preamble and DICM prefix before the File Meta Information"]
    # 1. No preamble: the File Meta Information first; and bare data sets, as ACR-NEMA files are.
    source = write(plain("source_u16", 6, 5, frames=2), "source_u16")
    with open(source, "rb") as handle:
        part10 = handle.read()
    with open(path_of("no_preamble_u16"), "wb") as handle:
        handle.write(part10[132:])
    expect("no_preamble_u16", "pydicom", geometry(6, 5, frames=2), notes_no_preamble, no_preamble=True)
    convert("rle_source", write(plain("rle_plain", 7, 6, bits=8), "rle_plain"), "dcmcrle")
    with open(path_of("rle_source"), "rb") as handle:
        rle = handle.read()
    with open(path_of("no_preamble_rle_u8"), "wb") as handle:
        handle.write(rle[132:])
    expect("no_preamble_rle_u8", "pydicom", geometry(7, 6, bits=8), notes_no_preamble, "pixels", no_preamble=True)
    for name, option, kind in (("bare_implicit_s16", "+ti", "Little Endian Implicit"),
                               ("bare_explicit_le_u8", "+te", "Little Endian Explicit"),
                               ("bare_explicit_be_u16", "+tb", "Big Endian Explicit")):
        bits, signed = (8, False) if "u8" in name else (16, "s16" in name)
        convert(name, write(plain(name + "_source", 5, 4, bits=bits, stored=bits - 4, signed=signed),
                            name + "_source"), f"dcmconv -F {option}")
        expect(name, "pydicom", geometry(5, 4, bits=bits, stored=bits - 4, signed=signed),
               [f"no File Meta Information: a bare data set ({kind}"], no_preamble=True)

    # 2. Pixel Data longer than its samples: the rest is kept and comes back.
    def padded(name, rows, columns, bits, extra, syntax=EXPLICIT_LE, vr=None):
        dataset = plain(name, rows, columns, bits=bits, syntax=syntax)
        dataset.PixelData = dataset.PixelData + extra
        if vr:
            dataset["PixelData"].VR = vr
        write(dataset, name)

    padded("padded_u16", 4, 3, 16, bytes(rng.integers(1, 256, 10, dtype=np.uint8)))
    expect("padded_u16", "pydicom", geometry(4, 3), ["Pixel Data holds 10 bytes after the 24 its samples take"])
    padded("padded_odd_u8", 5, 3, 8, bytes(rng.integers(1, 256, 5, dtype=np.uint8)))
    expect("padded_odd_u8", "pydicom", geometry(5, 3, bits=8), ["Pixel Data holds 5 bytes after the 15"])
    padded("padded_big_endian_u16", 3, 3, 16, bytes(rng.integers(1, 256, 6, dtype=np.uint8)), syntax=EXPLICIT_BE)
    expect("padded_big_endian_u16", "pydicom", geometry(3, 3), ["Pixel Data holds 6 bytes after the 18"])
    padded("pad_byte_not_zero_u8", 5, 3, 8, b"\x7f")
    expect("pad_byte_not_zero_u8", "pydicom", geometry(5, 3, bits=8), ["padding after its samples is not zero"])
    padded("ow_u8", 4, 4, 8, b"", vr="OW")
    expect("ow_u8", "pydicom", geometry(4, 4, bits=8))

    # 3. Uncompressed YBR_FULL_422: Y1 Y2 Cb Cr for each pair of pixels.
    def ybr422(name, rows, columns, frames):
        dataset = new_dataset(path_of(name), rows, columns, 3, 8, photometric="YBR_FULL_422", frames=frames)
        pairs = frames * rows * columns // 2
        dataset.PixelData = rng.integers(0, 256, pairs * 4, dtype=np.uint8).tobytes()
        dataset["PixelData"].VR = "OB"
        write(dataset, name)

    ybr422("ybr_full_422", 4, 6, 2)
    expect("ybr_full_422", "pydicom", geometry(4, 6, frames=2, samples=3, bits=8, photometric="YBR_FULL_422"),
           ["YBR_FULL_422 pixels (Y1 Y2 Cb Cr for each pair of pixels) expanded"])
    ybr422("ybr_full_422_odd_columns", 4, 5, 1)
    refuse("ybr_full_422_odd_columns", "kUnsupported", "YBR_FULL_422 with an odd number of columns")

    # 4. JPEG-LS frames split over several fragments, with and without a Basic Offset Table.
    convert("jpegls_source", write(plain("jpegls_plain", 16, 12, frames=3, stored=12), "jpegls_plain"),
            "dcmcjpls")
    encoded = pydicom.dcmread(path_of("jpegls_source"))
    streams = list(generate_pixel_data_frame(encoded.PixelData, 3))
    for name, bot in (("jpegls_fragmented_bot", True), ("jpegls_fragmented_no_bot", False)):
        encoded.PixelData = encapsulate(streams, fragments_per_frame=3, has_bot=bot)
        write(encoded, name)
        expect(name, "dcmdjpls", geometry(16, 12, frames=3, stored=12), round_trip="pixels")

    # 5. RLE whose Number of Frames claims more frames than Pixel Data holds: as DCMTK's decoder, three.
    convert("rle_frames", write(plain("rle_frames_plain", 6, 4, frames=3, bits=8), "rle_frames_plain"), "dcmcrle")
    dataset = pydicom.dcmread(path_of("rle_frames"))
    dataset.NumberOfFrames = 5
    write(dataset, "rle_frames_beyond_fragments")
    expect("rle_frames_beyond_fragments", "dcmdrle", geometry(6, 4, frames=3, bits=8),
           ["Number of Frames is 5 but Pixel Data holds only 3 fragment(s)"], "pixels")

    # 8. 1-bit (Segmentation), 32-bit integer (RT Dose) and floating point (parametric map) samples.
    def bits1(name, rows, columns, frames, vr="OB", last_byte_extra=0):
        dataset = new_dataset(path_of(name), rows, columns, 1, 1, frames=frames)
        bits = rng.integers(0, 2, frames * rows * columns, dtype=np.uint8)
        packed = bytearray(np.packbits(bits, bitorder="little").tobytes())
        packed[-1] |= last_byte_extra
        dataset.PixelData = bytes(packed) + (b"\0" if len(packed) % 2 else b"")
        dataset["PixelData"].VR = vr
        return write(dataset, name)

    one_bit = geometry(5, 7, frames=3, bits=1)
    bits1("bits1_frames", 5, 7, 3)
    expect("bits1_frames", "pydicom", one_bit, ["1-bit pixels unpacked to one byte per sample"])
    bits1("bits1_unused_bits_set", 5, 7, 3, last_byte_extra=0x80)  # 105 samples: bits 1-7 of byte 14 unused
    expect("bits1_unused_bits_set", "pydicom", one_bit, ["padding after its samples is not zero"])
    convert("bits1_big_endian", bits1("bits1_ow_source", 5, 7, 3, vr="OW"), "dcmconv +tb")
    expect("bits1_big_endian", "dcmconv +te", one_bit)

    write(plain("u32_frames", 4, 5, frames=2, bits=32), "u32_frames")
    expect("u32_frames", "pydicom", geometry(4, 5, frames=2, bits=32))
    dataset = plain("s32_implicit", 3, 5, bits=32, stored=24, signed=True, syntax=IMPLICIT_LE)
    dataset.Modality = "RTDOSE"
    write(dataset, "s32_implicit")
    expect("s32_implicit", "pydicom", geometry(3, 5, bits=32, stored=24, signed=True))
    write(plain("u32_rgb_planar", 3, 4, samples=3, bits=32, planar=True), "u32_rgb_planar")
    expect("u32_rgb_planar", "pydicom", geometry(3, 4, samples=3, bits=32),
           ["colour-by-plane pixels (Planar Configuration 1) interleaved"])
    convert("u32_big_endian", path_of("u32_frames"), "dcmconv +tb")
    expect("u32_big_endian", "dcmconv +te", geometry(4, 5, frames=2, bits=32))
    convert("u32_rle", path_of("u32_frames"), "dcmcrle")
    expect("u32_rle", "pydicom", geometry(4, 5, frames=2, bits=32), round_trip="pixels")

    def floats(name, rows, columns, frames, bits, syntax=EXPLICIT_LE, samples=1, short=False):
        dataset = new_dataset(path_of(name), rows, columns, samples, bits, frames=frames, syntax=syntax)
        for keyword in ("BitsStored", "HighBit", "PixelRepresentation"):  # not in the float pixel modules
            delattr(dataset, keyword)
        values = rng.normal(0, 1000, frames * rows * columns * samples - (1 if short else 0))
        order = "<" if dataset.is_little_endian else ">"
        keyword = "FloatPixelData" if bits == 32 else "DoubleFloatPixelData"
        setattr(dataset, keyword, values.astype(f"{order}f{bits // 8}").tobytes())
        dataset[keyword].VR = "OF" if bits == 32 else "OD"
        write(dataset, name)

    floats("float32_frames", 4, 3, 2, 32)
    expect("float32_frames", "pydicom", geometry(4, 3, frames=2, bits=32, stored=0))
    floats("float64", 3, 5, 1, 64)
    expect("float64", "pydicom", geometry(3, 5, bits=64, stored=0))
    floats("float32_big_endian", 3, 3, 1, 32, syntax=EXPLICIT_BE)
    expect("float32_big_endian", "pydicom", geometry(3, 3, bits=32, stored=0))
    floats("float32_implicit", 2, 3, 3, 32, syntax=IMPLICIT_LE)
    expect("float32_implicit", "pydicom", geometry(2, 3, frames=3, bits=32, stored=0))
    floats("float32_rgb", 2, 2, 1, 32, samples=3)
    refuse("float32_rgb", "kUnsupported", "float pixel data with 3 samples per pixel")
    floats("float32_short", 2, 2, 1, 32, short=True)
    refuse("float32_short", "kInvalidImage", "Float Pixel Data holds 12 bytes")

    for name in ("source_u16", "rle_plain", "rle_source", "jpegls_plain", "jpegls_source", "rle_frames_plain",
                 "rle_frames", "bits1_ow_source", "bare_implicit_s16_source", "bare_explicit_le_u8_source",
                 "bare_explicit_be_u16_source"):
        os.remove(path_of(name))


# ------------------------------------------------------------------------------------------- TIFF cases

def tiff_cases(directory):
    rng = np.random.default_rng(11)

    def case(name, frames, expected=None, error=None, contains="", **options):
        images = [f if isinstance(f, Image.Image) else Image.fromarray(f) for f in frames]
        images[0].save(os.path.join(directory, f"{name}.tif"), save_all=True, append_images=images[1:],
                       **options)
        meta = {"error": error, "contains": contains} if error else {}
        if expected is not None:
            stack = expected if expected.ndim == 4 else expected[..., np.newaxis]
            with open(os.path.join(directory, f"{name}.raw"), "wb") as handle:
                handle.write(as_words(stack, 16 if stack.dtype == np.uint16 else 8))
            meta = {"frames": int(stack.shape[0]), "samples": int(stack.shape[3])}
        with open(os.path.join(directory, f"{name}.json"), "w") as handle:
            json.dump(meta, handle)

    grey = rng.integers(0, 256, (3, 21, 34), dtype=np.uint8)
    rgb = rng.integers(0, 256, (2, 19, 23, 3), dtype=np.uint8)
    grey16 = rng.integers(0, 65536, (1, 17, 9), dtype=np.uint16)
    case("grey8", grey[:1], grey[:1])
    case("grey8_pages", grey, grey)
    case("grey8_lzw", grey, grey, compression="tiff_lzw")
    case("grey8_deflate", grey, grey, compression="tiff_adobe_deflate")
    case("grey8_packbits", grey, grey, compression="packbits")
    case("rgb8", rgb[:1], rgb[:1])
    case("rgb8_pages_lzw", rgb, rgb, compression="tiff_lzw")
    case("grey16", grey16, grey16)
    case("pages_differ", [grey[0], grey[0][:10]], error="kUnsupported", contains="page 2")
    case("float", [rng.random((5, 5), dtype=np.float32)], error="kUnsupported", contains="floating")
    case("bilevel", [grey[0] > 128], error="kUnsupported", contains="1-bit")
    case("palette", [Image.fromarray(grey[0]).convert("P")], error="kUnsupported", contains="photometric")


# ------------------------------------------------------------------------------------------- JPEG cases

def jpeg_cases(directory):
    """JPEGs written by Pillow; the tests decode them with `decode` (Pillow) for reference."""
    rng = np.random.default_rng(5)
    smooth = np.add.outer(np.arange(48), np.arange(64)).astype(np.uint8) * 2
    noisy = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    colour = np.clip(np.stack([smooth, smooth[::-1], 255 - smooth], axis=2) + noisy // 8, 0, 255).astype(np.uint8)
    Image.fromarray(smooth).save(os.path.join(directory, "grey.jpg"), quality=90)
    Image.fromarray(colour).save(os.path.join(directory, "rgb_420.jpg"), quality=85)
    Image.fromarray(colour).save(os.path.join(directory, "rgb_444.jpg"), quality=95, subsampling=0)
    Image.fromarray(colour).save(os.path.join(directory, "rgb_progressive.jpg"), quality=80, progressive=True)
    Image.fromarray(colour).convert("CMYK").save(os.path.join(directory, "cmyk.jpg"))


# ------------------------------------------------------------------------------------------- fuzz seeds

def fuzz_seeds(directory):
    """Tiny files (well under 10 KB) covering each syntax and layout the DICOM reader handles."""
    rng = np.random.default_rng(3)
    os.makedirs(directory, exist_ok=True)
    written = []

    def seed(name, dataset):
        path = os.path.join(directory, f"{name}.dcm")
        dataset.save_as(path, write_like_original=False)
        written.append(path)
        return path

    for name, syntax, bits, signed in (("explicit_le_u16", EXPLICIT_LE, 16, False),
                                       ("implicit_le_s16", IMPLICIT_LE, 16, True),
                                       ("explicit_be_u16", EXPLICIT_BE, 16, False),
                                       ("explicit_le_u8", EXPLICIT_LE, 8, False)):
        dataset = new_dataset(name, 8, 8, bits=bits, signed=signed, syntax=syntax)
        native(dataset, random_pixels(rng, 1, 8, 8, 1, bits, bits, signed))
        seed(name, dataset)
    dataset = new_dataset("rgb_planar", 6, 6, samples=3, bits=8, frames=2)
    native(dataset, random_pixels(rng, 2, 6, 6, 3, 8, 8, False), planar=True)
    source = seed("rgb_planar_2_frames", dataset)
    pixels = random_pixels(rng, 2, 8, 8, 1, 16, 12, False)
    dataset = new_dataset("j2k", 8, 8, stored=12, frames=2, syntax=J2K_LOSSLESS)
    encapsulated(dataset, [j2k_codestream(frame) for frame in pixels], fragments_per_frame=2, has_bot=False)
    seed("j2k_2_frames_fragmented", dataset)
    dataset = new_dataset("j2k_rct", 8, 8, samples=3, bits=8, photometric="YBR_RCT", syntax=J2K_LOSSLESS)
    encapsulated(dataset, [j2k_codestream(random_pixels(rng, 1, 8, 8, 3, 8, 8, False)[0], mct=1)])
    seed("j2k_ybr_rct", dataset)
    grey = written[0]
    for name, command in (("rle_rgb", ["dcmcrle", source]), ("rle_u16", ["dcmcrle", grey]),
                          ("jpeg_lossless_u16", ["dcmcjpeg", "+e1", grey]),
                          ("jpeg_baseline_rgb", ["dcmcjpeg", "+eb", source]),
                          ("jpegls_lossless_u16", ["dcmcjpls", grey]),
                          ("jpegls_rgb_uninterleaved", ["dcmcjpls", "+in", source]),
                          ("jpegls_near_lossless_u8", ["dcmcjpls", "+en", written[3]])):
        path = os.path.join(directory, f"{name}.dcm")
        subprocess.run(command + [path], check=True, capture_output=True)
        written.append(path)
    deflated = os.path.join(directory, "deflated_u16.dcm")
    subprocess.run(["dcmconv", "+td", grey, deflated], check=True, capture_output=True)
    written.append(deflated)
    written.append(with_small_frame(directory, "jpeg_short_frame", rng, 16, 16, (5, 8), ["dcmcjpeg", "+eb"]))
    # One of each layout and pixel kind of kind-cases.
    with tempfile.TemporaryDirectory() as scratch:
        kind_cases(scratch)
        for name in ("no_preamble_u16", "bare_implicit_s16", "bare_explicit_be_u16", "padded_odd_u8", "ybr_full_422",
                     "jpegls_fragmented_no_bot", "rle_frames_beyond_fragments", "bits1_frames", "u32_rgb_planar",
                     "u32_rle", "float32_frames", "float64"):
            path = os.path.join(directory, f"{name}.dcm")
            shutil.copyfile(os.path.join(scratch, f"{name}.dcm"), path)
            written.append(path)
    for path in written:
        assert os.path.getsize(path) < 10_000, path


COMMANDS = {"png-cases": png_cases, "dicom-cases": dicom_cases, "tiff-cases": tiff_cases, "jpeg-cases": jpeg_cases,
            "short-frame-cases": short_frame_cases, "kind-cases": kind_cases, "fuzz-seeds": fuzz_seeds}

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "decode":
        decode(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] in COMMANDS:
        COMMANDS[sys.argv[1]](sys.argv[2])
    else:
        sys.exit(__doc__)
