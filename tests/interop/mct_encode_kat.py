#!/usr/bin/python3
"""Writes the known-answer containers of tests/vectors/container/ from docs/FORMAT.md alone, with Python's
`cryptography` package and fixed "random" values, independently of medcrypt. medcrypt's tests seal the same
inputs with the same fixed values and must produce these files byte for byte.

    mct_encode_kat.py OUTDIR

Every fixed value is SHA-256 of an ASCII label (kat_value below); the C++ test derives them the same way.
"""
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89MCT\r\n\x1a\n"


def kat_value(label, n=32):
    return hashlib.sha256(label.encode()).digest()[:n]


def hkdf(ikm, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def raw(pub):
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kat_image():
    """64 x 40, one frame, 16-bit words with 12 bits stored: 5120 bytes, two 4 KiB chunks."""
    width, height = 64, 40
    words = [(i * 37 + (i // width) * 101) % 4096 for i in range(width * height)]
    return width, height, struct.pack(f"<{len(words)}H", *words)


def s16(text):
    b = text.encode()
    return struct.pack("<H", len(b)) + b


def metadata_records(file_name, fmt):
    out = b""
    for tag, value in ((1, file_name.encode()), (2, fmt.encode())):
        out += struct.pack("<HI", tag, len(value)) + value
    return out


def build(version, aead_id, key_mode, signed, file_name):
    width, height, pixels = kat_image()
    message_id = kat_value("kat message id", 16)
    nonce_prefix = kat_value("kat nonce prefix", 7)
    chunk_log2 = 12
    cipher_for = (lambda k: AESGCM(k)) if aead_id == 1 else (lambda k: ChaCha20Poly1305(k))
    records = metadata_records(file_name, "png")

    if key_mode == 1:
        cek = kat_value("kat content key")
        key_block = struct.pack("<H", 2)
        for i, name in enumerate(("alice", "carol")):
            r_priv = x25519.X25519PrivateKey.from_private_bytes(kat_value(f"kat {name} x25519"))
            r_pub = raw(r_priv.public_key())
            ed_pub = raw(ed25519.Ed25519PrivateKey.from_private_bytes(kat_value(f"kat {name} ed25519")).public_key())
            fingerprint = hashlib.sha256(b"medcrypt identity v1\x00" + r_pub + ed_pub).digest()
            e_priv = x25519.X25519PrivateKey.from_private_bytes(kat_value(f"kat ephemeral {i}"))
            e_pub = raw(e_priv.public_key())
            wrap_key = hkdf(e_priv.exchange(r_priv.public_key()), e_pub + r_pub, b"medcrypt v1 x25519 wrap")
            key_block += fingerprint + e_pub + cipher_for(wrap_key).encrypt(bytes(12), cek, fingerprint)
    else:
        shared = kat_value("kat shared key")
        salt = kat_value("kat shared salt")
        cek = hkdf(shared, salt, b"medcrypt v1 shared content key")
        key_block = hkdf(shared, b"", b"medcrypt v1 key id", 16) + salt

    signer = ed25519.Ed25519PrivateKey.from_private_bytes(kat_value("kat bob ed25519"))
    header = bytes([1 if signed else 0]) + message_id + bytes([aead_id, 1, chunk_log2]) + nonce_prefix
    header += s16("aead") + struct.pack("<H", 1) + s16("") + bytes([1])
    header += struct.pack("<III", width, height, 1) + bytes([1, 16, 12, 0]) + s16("MONOCHROME2")
    header += struct.pack("<QI", len(pixels), len(records) + 16) + bytes([key_mode]) + key_block
    header += hkdf(cek, message_id, b"medcrypt v1 key commitment")
    if signed:
        header += raw(signer.public_key())
        if version >= 2:  # the signer identity's X25519 key
            header += raw(x25519.X25519PrivateKey.from_private_bytes(kat_value("kat bob x25519")).public_key())
    head = MAGIC + struct.pack("<HI", version, len(header)) + header
    header_hash = hashlib.sha256(head).digest()

    out = head + cipher_for(hkdf(cek, message_id, b"medcrypt v1 metadata")).encrypt(bytes(12), records, header_hash)
    payload_cipher = cipher_for(hkdf(cek, message_id, b"medcrypt v1 payload"))
    chunk = 1 << chunk_log2
    n = max(1, -(-len(pixels) // chunk))
    for i in range(n):
        nonce = nonce_prefix + struct.pack(">I", i) + bytes([1 if i == n - 1 else 0])
        out += payload_cipher.encrypt(nonce, pixels[i * chunk:(i + 1) * chunk], header_hash)
    if signed:
        out += signer.sign(b"medcrypt v1 signature\x00" + hashlib.sha256(out).digest())
    return out


KATS = {
    # Version 1 (before the signer's X25519 key joined the header): what older medcrypt wrote, still read.
    "kat_recipients_aes256gcm_signed.mct": (1, 1, 1, True, "kat.png"),
    "kat_shared_chacha20poly1305.mct": (1, 2, 2, False, "kat.png"),
    # Version 2: what medcrypt writes now.
    "kat_recipients_aes256gcm_signed_v2.mct": (2, 1, 1, True, "kat.png"),
    "kat_shared_chacha20poly1305_v2.mct": (2, 2, 2, False, "kat.png"),
}


def key_files():
    """The KAT identities as medcrypt key files (unencrypted PKCS#8 / SPKI PEM) and the shared key."""
    files = {"kat_shared.key": kat_value("kat shared key")}
    for name in ("alice", "carol", "bob"):
        x = x25519.X25519PrivateKey.from_private_bytes(kat_value(f"kat {name} x25519"))
        e = ed25519.Ed25519PrivateKey.from_private_bytes(kat_value(f"kat {name} ed25519"))
        pem = b"".join(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) for k in (x, e))
        pub = b"".join(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo) for k in (x, e))
        files[f"kat_{name}.key"] = f"# medcrypt identity: {name} (known-answer test key, public)\n".encode() + pem
        files[f"kat_{name}.pub"] = f"# medcrypt public identity: {name}\n".encode() + pub
    return files


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    outputs = {name: build(*params) for name, params in KATS.items()}
    outputs.update(key_files())
    for name, data in outputs.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
