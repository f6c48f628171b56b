#!/usr/bin/python3
"""tests/cli/compare_images.py over many pairs in one process (its imports cost more than a comparison).

    compare_many.py PAIRS
    compare_many.py --orthanc URL [--network] ORIGINAL...

PAIRS is a file of lines ORIGINAL<TAB>RECEIVED. --orthanc fetches every instance Orthanc holds
(GET /instances, /instances/ID/file) and pairs each original with the instance of the same SOP Instance
UID; the File Meta Information (group 0002) is left out, since Orthanc writes its own. --network also
leaves out what a DICOM network transfer (C-STORE, DCMTK's storescu as much as medcrypt) re-encodes
rather than carries: group lengths (gggg,0000), trailing padding (FFFC,FFFC), the encoded length of a
value (a PN of two padding spaces arrives empty: the same value for DICOM), and the VR of a private
element unknown to both sides (none in Implicit VR, UN in Explicit VR). Exits 0 when every pair is equal.
"""
import json
import os
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
import compare_images  # noqa: E402


def is_dicom(path):
    with open(path, "rb") as f:
        return f.read(132)[128:132] == b"DICM"


def compare(original, received):
    """None when equal, else the reason."""
    try:
        with tempfile.TemporaryDirectory() as work:
            if is_dicom(original):
                compare_images.compare_dicom(original, received, work)
            else:
                a, b = compare_images.pil_array(original), compare_images.pil_array(received)
                if a.shape != b.shape or not (a == b).all():
                    return f"pixels differ: shapes {a.shape} {b.shape}"
    except SystemExit:
        return "differs (see above)"
    return None


def ignore_encoding(network):
    dump = compare_images.dump

    def carried(tag):
        if tag.startswith("(0002,"):
            return False
        return not network or not (tag.endswith(",0000)") or tag == "(fffc,fffc)")

    def value(line):
        return line.split("#")[0].rstrip().replace(" ?? ", " UN ", 1) if network else line

    compare_images.dump = lambda path: {k: [value(line) for line in v] for k, v in dump(path).items() if carried(k)}


def orthanc_pairs(url, originals, work):
    import pydicom
    by_uid = {}
    for ident in json.load(urllib.request.urlopen(f"{url}/instances")):
        path = os.path.join(work, f"{ident}.dcm")
        with urllib.request.urlopen(f"{url}/instances/{ident}/file") as r, open(path, "wb") as f:
            f.write(r.read())
        by_uid[str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)] = path
    pairs = []
    for original in originals:
        uid = str(pydicom.dcmread(original, stop_before_pixels=True).SOPInstanceUID)
        pairs.append((original, by_uid.get(uid)))
    return pairs


def main():
    args = sys.argv[1:]
    with tempfile.TemporaryDirectory() as work:
        if args and args[0] == "--orthanc":
            network = len(args) > 2 and args[2] == "--network"
            ignore_encoding(network)
            pairs = orthanc_pairs(args[1], args[3 if network else 2:], work)
        else:
            with open(args[0]) as f:
                pairs = [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]
        failures = 0
        for original, received in pairs:
            reason = "not received" if received is None else compare(original, received)
            if reason:
                failures += 1
                print(f"compare_many: {original} vs {received}: {reason}")
        print(f"compare_many: {len(pairs) - failures} of {len(pairs)} equal")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
