#!/usr/bin/python3
"""Independent check that a decrypted file holds the original's pixels and attributes.

    compare_images.py ORIGINAL DECRYPTED [--work DIR]

DICOM: the reference pixels are what DCMTK's own decoders (dcmdjpeg, dcmdrle, dcmdjpls) give for a
compressed original, or the original itself; JPEG 2000 (which Debian's DCMTK cannot decode) is decoded by
pydicom with GDCM. Pixel arrays are compared with pydicom + numpy, attributes with `dcmdump` text: identical
for an uncompressed original; for a compressed one, identical except the attributes that decompression
rewrites (listed in ALLOWED_AFTER_DECOMPRESSION). PNG/JPEG/TIFF: arrays read by Pillow (palette and
grey+alpha converted as medcrypt documents). Exits 0 when equal, 1 with the reason otherwise.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
DCMTK_DECODERS = {
    "1.2.840.10008.1.2.4.50": "dcmdjpeg", "1.2.840.10008.1.2.4.51": "dcmdjpeg",
    "1.2.840.10008.1.2.4.57": "dcmdjpeg", "1.2.840.10008.1.2.4.70": "dcmdjpeg",
    "1.2.840.10008.1.2.5": "dcmdrle",
    "1.2.840.10008.1.2.4.80": "dcmdjpls", "1.2.840.10008.1.2.4.81": "dcmdjpls",
}
# Tags whose dcmdump line may differ between a decompressed reference and medcrypt's output.
ALLOWED_AFTER_DECOMPRESSION = {"(0002,0000)", "(0002,0010)", "(0002,0012)", "(0002,0013)", "(0002,0016)",
                               "(7fe0,0010)", "(0028,0006)", "(0028,0004)", "(0028,2110)", "(0028,2112)",
                               "(0028,2114)", "(0008,2111)"}


def fail(msg):
    print(f"compare_images: {msg}")
    sys.exit(1)


def dicom_reference(path, work):
    import pydicom
    ts = str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)
    if ts in UNCOMPRESSED:
        return path, ts
    tool = DCMTK_DECODERS.get(ts)
    if tool is None:
        return None, ts  # JPEG 2000: pydicom + GDCM decode the original directly
    out = os.path.join(work, "reference.dcm")
    subprocess.run([tool, path, out], check=True, capture_output=True)
    return out, ts


def dump(path):
    text = subprocess.run(["dcmdump", "-q", "+L", path], check=True, capture_output=True, text=True).stdout
    lines = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\([0-9a-f]{4},[0-9a-f]{4}\))", line)
        if m and not line.lstrip().startswith("(fffe"):
            lines.setdefault(m.group(1), []).append(line.strip())
    return lines


def compare_dicom(original, decrypted, work):
    import pydicom
    reference, ts = dicom_reference(original, work)
    ref_ds = pydicom.dcmread(reference if reference else original)
    out_ds = pydicom.dcmread(decrypted)
    a, b = ref_ds.pixel_array, out_ds.pixel_array
    if a.shape != b.shape:
        fail(f"pixel shape {a.shape} != {b.shape}")
    if not np.array_equal(a, b):
        fail(f"pixels differ in {np.count_nonzero(a != b)} samples")
    ref_dump, out_dump = dump(reference if reference else original), dump(decrypted)
    allowed = set() if ts in UNCOMPRESSED else ALLOWED_AFTER_DECOMPRESSION
    for tag in sorted(set(ref_dump) | set(out_dump)):
        if tag in allowed:
            continue
        if ref_dump.get(tag) != out_dump.get(tag):
            fail(f"attribute {tag} differs: {ref_dump.get(tag)} vs {out_dump.get(tag)}")


def pil_array(path):
    from PIL import Image
    img = Image.open(path)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "RGBA"):
        img = img.convert("L" if img.mode == "LA" else "RGB")
    if img.mode == "1":
        img = img.convert("L")
    return np.asarray(img)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("original")
    p.add_argument("decrypted")
    args = p.parse_args()
    with open(args.original, "rb") as f:
        head = f.read(132)
    with tempfile.TemporaryDirectory() as work:
        if head[128:132] == b"DICM":
            compare_dicom(args.original, args.decrypted, work)
        else:
            a, b = pil_array(args.original), pil_array(args.decrypted)
            if a.shape != b.shape or not np.array_equal(a, b):
                fail(f"pixels differ: shapes {a.shape} {b.shape}")
    print("compare_images: equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
