#!/usr/bin/python3
"""An independent decoder for medcrypt containers (.mct versions 1 and 2), written from docs/FORMAT.md with
Python's `cryptography` package (Debian python3-cryptography). It shares no code with medcrypt.

    mct_decode.py CONTAINER (--identity NAME.key [--passphrase-file F] | --key FILE)
                  --payload OUT.bin [--dicom-attributes OUT.dcm] [--from NAME.pub]

Writes the decrypted payload (for scheme `aead`: the pixel samples) and prints the header and metadata as
JSON on stdout. Exits 1 with a message on any failure.
"""
import argparse
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89MCT\r\n\x1a\n"
TAG = 16


class DecodeError(Exception):
    pass


def hkdf(ikm, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def aead(alg_id, key):
    if alg_id == 1:
        return AESGCM(key)
    if alg_id == 2:
        return ChaCha20Poly1305(key)
    raise DecodeError(f"unknown AEAD id {alg_id}")


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise DecodeError("header truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def str16(self):
        return self.take(self.u16()).decode("utf-8")


def parse_header(blob):
    if blob[:8] != MAGIC:
        raise DecodeError("bad magic")
    version, header_len = struct.unpack("<HI", blob[8:14])
    if version not in (1, 2):
        raise DecodeError(f"unsupported version {version}")
    r = Reader(blob[14:14 + header_len])
    h = {"version": version, "header_len": header_len}
    flags = r.u8()
    if flags & ~1:
        raise DecodeError("unknown flags")
    h["signed"] = bool(flags & 1)
    h["message_id"] = r.take(16)
    h["aead"] = r.u8()
    h["sealing"] = r.u8()
    h["chunk_size"] = 1 << r.u8()
    h["nonce_prefix"] = r.take(7)
    h["scheme"] = r.str16()
    h["scheme_version"] = r.u16()
    h["scheme_params"] = r.str16()
    h["lossless"] = bool(r.u8())
    h["width"], h["height"], h["frames"] = r.u32(), r.u32(), r.u32()
    h["samples"], h["bits_allocated"], h["bits_stored"], h["pixel_signed"] = r.u8(), r.u8(), r.u8(), r.u8()
    h["photometric"] = r.str16()
    h["payload_len"] = r.u64()
    h["metadata_len"] = r.u32()
    h["key_mode"] = r.u8()
    if h["key_mode"] == 1:
        h["recipients"] = [(r.take(32), r.take(32), r.take(48)) for _ in range(r.u16())]
    elif h["key_mode"] == 2:
        h["key_id"], h["salt"] = r.take(16), r.take(32)
    else:
        raise DecodeError("unknown key mode")
    h["key_commitment"] = r.take(32)
    if h["signed"]:
        h["signer"] = r.take(32)
        if version >= 2:  # the signer identity's X25519 key: its fingerprint is then in the header
            h["signer_x25519"] = r.take(32)
            h["signer_identity"] = identity_fingerprint(h["signer_x25519"], h["signer"])
    if r.pos != header_len:
        raise DecodeError("header has trailing bytes")
    return h


def raw_public(key):
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_pem_blocks(path, kind):
    text = open(path, "rb").read()
    blocks, begin = [], f"-----BEGIN {kind}".encode()
    start = text.find(begin)
    while start >= 0:
        end_marker = text.find(b"-----END", start)
        end = text.find(b"-----", end_marker + 8) + 5
        blocks.append(text[start:end])
        start = text.find(begin, end)
    return blocks


def identity_fingerprint(x_pub, ed_pub):
    return hashlib.sha256(b"medcrypt identity v1\x00" + x_pub + ed_pub).digest()


def load_identity(path, passphrase):
    x_priv = ed_pub = None
    for block in load_pem_blocks(path, ""):
        key = serialization.load_pem_private_key(block, password=passphrase)
        if isinstance(key, x25519.X25519PrivateKey):
            x_priv = key
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            ed_pub = raw_public(key.public_key())
    if x_priv is None or ed_pub is None:
        raise DecodeError("identity file lacks an X25519 or Ed25519 key")
    return x_priv, identity_fingerprint(raw_public(x_priv.public_key()), ed_pub)


def load_public_ed25519(path):
    for block in load_pem_blocks(path, "PUBLIC KEY"):
        key = serialization.load_pem_public_key(block)
        if isinstance(key, ed25519.Ed25519PublicKey):
            return raw_public(key)
    raise DecodeError("no Ed25519 key in " + path)


def load_public_fingerprint(path):
    keys = [serialization.load_pem_public_key(b) for b in load_pem_blocks(path, "PUBLIC KEY")]
    x_pub = [raw_public(k) for k in keys if isinstance(k, x25519.X25519PublicKey)]
    ed_pub = [raw_public(k) for k in keys if isinstance(k, ed25519.Ed25519PublicKey)]
    if len(x_pub) != 1 or len(ed_pub) != 1:
        raise DecodeError("public identity file lacks an X25519 or Ed25519 key")
    return identity_fingerprint(x_pub[0], ed_pub[0])


def content_key(h, args):
    if h["key_mode"] == 2:
        if not args.key:
            raise DecodeError("container uses a shared key")
        k = open(args.key, "rb").read()
        if len(k) != 32:
            k = bytes.fromhex(k.decode().strip())
        if hkdf(k, b"", b"medcrypt v1 key id", 16) != h["key_id"]:
            raise DecodeError("wrong shared key")
        return hkdf(k, h["salt"], b"medcrypt v1 shared content key")
    if not args.identity:
        raise DecodeError("container is addressed to identities")
    passphrase = open(args.passphrase_file, "rb").read().splitlines()[0] if args.passphrase_file else None
    x_priv, fingerprint = load_identity(args.identity, passphrase)
    for fp, eph, wrapped in h["recipients"]:
        if fp != fingerprint:
            continue
        shared = x_priv.exchange(x25519.X25519PublicKey.from_public_bytes(eph))
        wrap_key = hkdf(shared, eph + raw_public(x_priv.public_key()), b"medcrypt v1 x25519 wrap")
        return aead(h["aead"], wrap_key).decrypt(bytes(12), wrapped, fp)
    raise DecodeError("not addressed to this identity")


def parse_metadata(blob):
    out, pos = {"notes": []}, 0
    names = {1: "file_name", 2: "format", 5: "folder"}
    while pos < len(blob):
        tag, length = struct.unpack("<HI", blob[pos:pos + 6])
        value = blob[pos + 6:pos + 6 + length]
        if len(value) != length:
            raise DecodeError("metadata truncated")
        pos += 6 + length
        if tag in names:
            out[names[tag]] = value.decode("utf-8")
        elif tag == 3:
            out["dicom_attributes"] = value
        elif tag == 4:
            out["notes"].append(value.decode("utf-8"))
    return out


def decode(data, args):
    h = parse_header(data)
    header_end = 14 + h["header_len"]
    chunk = h["chunk_size"]
    n_chunks = max(1, -(-h["payload_len"] // chunk))
    expected = header_end + h["metadata_len"] + h["payload_len"] + TAG * n_chunks + (64 if h["signed"] else 0)
    if len(data) != expected:
        raise DecodeError(f"size {len(data)} != {expected}")
    if h["signed"]:
        digest = hashlib.sha256(data[:-64]).digest()
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(h["signer"]).verify(
                data[-64:], b"medcrypt v1 signature\x00" + digest)
        except InvalidSignature:
            raise DecodeError("bad signature")
    if args.sender and (not h["signed"] or h["signer"] != load_public_ed25519(args.sender)):
        raise DecodeError("not signed by the expected sender")
    if args.sender and "signer_identity" in h and h["signer_identity"] != load_public_fingerprint(args.sender):
        raise DecodeError("signed by the expected sender's Ed25519 key under another identity")

    cek = content_key(h, args)
    salt = h["message_id"]
    if hkdf(cek, salt, b"medcrypt v1 key commitment") != h["key_commitment"]:
        raise DecodeError("content key does not match the key commitment")
    header_hash = hashlib.sha256(data[:header_end]).digest()
    meta_key = hkdf(cek, salt, b"medcrypt v1 metadata")
    payload_key = hkdf(cek, salt, b"medcrypt v1 payload")

    pos = header_end
    metadata = parse_metadata(aead(h["aead"], meta_key).decrypt(
        bytes(12), data[pos:pos + h["metadata_len"]], header_hash))
    pos += h["metadata_len"]

    cipher, payload = aead(h["aead"], payload_key), bytearray()
    for i in range(n_chunks):
        size = min(chunk, h["payload_len"] - i * chunk)
        body, tag = data[pos:pos + size], data[pos + size:pos + size + TAG]
        pos += size + TAG
        nonce = h["nonce_prefix"] + struct.pack(">I", i) + bytes([1 if i == n_chunks - 1 else 0])
        if h["sealing"] == 1:
            payload += cipher.decrypt(nonce, body + tag, header_hash)
        elif h["sealing"] == 2:
            cipher.decrypt(nonce, tag, header_hash + body)
            payload += body
        else:
            raise DecodeError("unknown sealing")
    return h, metadata, bytes(payload)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("container")
    p.add_argument("--identity")
    p.add_argument("--passphrase-file")
    p.add_argument("--key")
    p.add_argument("--from", dest="sender")
    p.add_argument("--payload", required=True)
    p.add_argument("--dicom-attributes")
    args = p.parse_args()
    try:
        h, metadata, payload = decode(open(args.container, "rb").read(), args)
    except (DecodeError, InvalidTag, ValueError) as e:
        print(f"mct_decode: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    open(args.payload, "wb").write(payload)
    if args.dicom_attributes and "dicom_attributes" in metadata:
        open(args.dicom_attributes, "wb").write(metadata["dicom_attributes"])
    summary = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in h.items() if k != "recipients"}
    summary["recipients"] = [fp.hex() for fp, _, _ in h.get("recipients", [])]
    summary["metadata"] = {k: v for k, v in metadata.items() if k != "dicom_attributes"}
    summary["metadata"]["dicom_attributes_bytes"] = len(metadata.get("dicom_attributes", b""))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
