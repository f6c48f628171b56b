#!/usr/bin/python3
"""Re-checks every block of the .vec files in this folder with an independent front end.

Run with Debian's /usr/bin/python3, which has python3-cryptography:
    /usr/bin/python3 tests/vectors/crypto/check_vectors.py [--quick]
It prints one line per file and "all N vectors agree" at the end; it exits non-zero on the first mismatch.
--quick (used by crypto_test) skips recomputing the 1,000-iteration X25519 vector, which takes python a
second; medcrypt's own test still checks it, and a full run checks it here.
The parser here is written apart from tests/crypto/vectors.cpp on purpose, so that a bug in either shows.
"""

import hashlib
import hmac
import pathlib
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

HERE = pathlib.Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv[1:]
DECIMAL = {"repeat", "iterations", "n", "r", "p"}
WORDS = {"result"}


def parse(path):
    """Yields (section, line, comment, fields) for each block."""
    section, comment, fields, start, last = None, [], {}, 0, None
    blocks = []

    def flush():
        nonlocal fields, comment, last
        if fields:
            blocks.append((section, start, " ".join(comment), fields))
        fields, comment, last = {}, [], None

    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw.strip():
            flush()
            continue
        if raw.startswith("#"):
            if fields:
                raise SystemExit(f"{path.name}:{number}: comment inside a block")
            comment.append(raw.lstrip("# ").rstrip())
            continue
        if raw[0] in " \t":
            if last is None:
                raise SystemExit(f"{path.name}:{number}: continuation line without a key")
            fields[last] += raw.strip()
            continue
        if raw.startswith("["):
            flush()
            section = raw.strip()[1:-1]
            continue
        key, sep, value = raw.partition("=")
        if not sep:
            raise SystemExit(f"{path.name}:{number}: expected key = value")
        key = key.strip()
        if key in fields:
            raise SystemExit(f"{path.name}:{number}: duplicate key {key}")
        if not fields:
            start = number
        fields[key] = value.strip()
        last = key
    flush()
    for section_name, line, source, block in blocks:
        if not source:
            raise SystemExit(f"{path.name}:{line}: block without a source comment")
        decoded = {}
        for key, value in block.items():
            if key in DECIMAL:
                decoded[key] = int(value)
            elif key in WORDS:
                decoded[key] = value
            else:
                decoded[key] = bytes.fromhex(value)
        yield section_name, line, source, decoded


def fail(path, line, what):
    raise SystemExit(f"MISMATCH {path.name}:{line}: {what}")


def check_aead(path, line, section, v):
    cipher = AESGCM(v["key"]) if section == "aes-256-gcm" else ChaCha20Poly1305(v["key"])
    sealed = v["out"] + v["tag"]
    if v["result"] == "valid":
        if cipher.encrypt(v["nonce"], v["in"], v["aad"]) != sealed:
            fail(path, line, "encryption differs")
        if cipher.decrypt(v["nonce"], sealed, v["aad"]) != v["in"]:
            fail(path, line, "decryption differs")
    else:
        try:
            cipher.decrypt(v["nonce"], sealed, v["aad"])
        except InvalidTag:
            return
        fail(path, line, "an invalid vector decrypts")


def check_hash(path, line, section, v):
    if section in ("sha-256", "sha-512"):
        message = v["in"] * v.get("repeat", 1)
        digest = hashlib.sha256(message) if section == "sha-256" else hashlib.sha512(message)
        if digest.digest() != v["digest"]:
            fail(path, line, "digest differs")
    elif section == "hkdf-sha256":
        prk = hmac.new(v["salt"] or bytes(32), v["ikm"], hashlib.sha256).digest()
        if prk != v["prk"]:
            fail(path, line, "PRK differs")
        okm = HKDF(hashes.SHA256(), len(v["okm"]), v["salt"] or None, v["info"]).derive(v["ikm"])
        if okm != v["okm"]:
            fail(path, line, "OKM differs")
    elif section == "scrypt":
        dk = hashlib.scrypt(v["passphrase"], salt=v["salt"], n=v["n"], r=v["r"], p=v["p"],
                            maxmem=256 * 1024 * 1024, dklen=len(v["dk"]))
        if dk != v["dk"]:
            fail(path, line, "derived key differs")
        if v["salt"] and v["passphrase"]:  # cryptography refuses empty inputs; hashlib covers those
            dk2 = Scrypt(salt=v["salt"], length=len(v["dk"]), n=v["n"], r=v["r"], p=v["p"]).derive(v["passphrase"])
            if dk2 != v["dk"]:
                fail(path, line, "derived key differs (cryptography)")
    else:
        fail(path, line, f"unknown section {section}")


def raw_public(key):
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519(k, u):
    return X25519PrivateKey.from_private_bytes(k).exchange(X25519PublicKey.from_public_bytes(u))


def check_x25519(path, line, section, v):
    if section == "x25519-iterated":
        if QUICK and v["iterations"] > 1:
            return
        k = u = bytes([9]) + bytes(31)
        for _ in range(v["iterations"]):
            k, u = x25519(k, u), k
        if k != v["out"]:
            fail(path, line, "iterated result differs")
        return
    try:
        out = x25519(v["scalar"], v["u"])
    except ValueError:  # cryptography refuses an all-zero shared secret, as medcrypt must
        out = None
    if v["result"] == "valid":
        if out != v["out"]:
            fail(path, line, "shared secret differs")
        if v["u"] == bytes([9]) + bytes(31):
            if raw_public(X25519PrivateKey.from_private_bytes(v["scalar"]).public_key()) != v["out"]:
                fail(path, line, "public key differs")
    elif out is not None:
        fail(path, line, "a low-order point was accepted")


def check_ed25519(path, line, section, v):
    if "secret" in v:
        key = Ed25519PrivateKey.from_private_bytes(v["secret"])
        if raw_public(key.public_key()) != v["public"]:
            fail(path, line, "public key differs")
        if v["result"] == "valid" and key.sign(v["message"]) != v["signature"]:
            fail(path, line, "signature differs")
    public = Ed25519PublicKey.from_public_bytes(v["public"])
    try:
        public.verify(v["signature"], v["message"])
        ok = True
    except InvalidSignature:
        ok = False
    if ok != (v["result"] == "valid"):
        fail(path, line, "verification result differs")


CHECKS = {"aead.vec": check_aead, "hash.vec": check_hash, "x25519.vec": check_x25519, "ed25519.vec": check_ed25519}


def main():
    total = 0
    for name, check in CHECKS.items():
        path = HERE / name
        count = 0
        for section, line, _source, fields in parse(path):
            check(path, line, section, fields)
            count += 1
        if count == 0:
            raise SystemExit(f"{name}: no vectors")
        print(f"{name}: {count} vectors agree")
        total += count
    print(f"all {total} vectors agree")


if __name__ == "__main__":
    main()
