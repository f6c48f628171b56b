#!/usr/bin/python3
"""An independent Paillier in Python integers, for checking medcrypt's (src/he/).

It reads medcrypt's key files itself (base64 block, the layout in src/he/key_file.hpp) and decrypts with
the textbook lambda/mu formula (medcrypt decrypts by Chinese remaindering), so the two share no code path.

  paillier_reference.py decrypt KEY.hekey < {"ciphertexts": [hex...], "slots": k, "slot_bits": b}
      -> {"n": hex, "values": [[int...]...]}    (slots of each plaintext, signed, lowest first)
  paillier_reference.py encrypt KEY.hepub < {"values": [[int...]...], "slot_bits": b}
      -> {"ciphertexts": [hex...]}              (fresh randomness from the secrets module)
"""
import base64
import json
import math
import secrets
import sys


def block(path, label):
    text = open(path).read()
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    body = text[text.index(begin) + len(begin):text.index(end)]
    return base64.b64decode("".join(body.split()), validate=True)


def number(data, at):
    length = int.from_bytes(data[at:at + 2], "little")
    return int.from_bytes(data[at + 2:at + 2 + length], "big"), at + 2 + length


def public_n(path):
    data = block(path, "MEDCRYPT PAILLIER PUBLIC KEY")
    assert data[0] == 1
    n, at = number(data, 1)
    assert at == len(data)
    return n


def private_pq(path):
    data = block(path, "MEDCRYPT PAILLIER PRIVATE KEY")
    assert data[0] == 1 and data[1] == 0, "only unprotected keys"
    p, at = number(data, 2)
    q, at = number(data, at)
    assert at == len(data)
    return p, q


def signed(m, n):
    return m - n if m > n // 2 else m


def unpack(m, slots, bits):
    out = []
    for _ in range(slots):
        low = m % (1 << bits)
        if low >= 1 << (bits - 1):
            low -= 1 << bits
        out.append(low)
        m = (m - low) >> bits
    assert m == 0, "plaintext holds more than its slots"
    return out


def pack(values, bits):
    return sum(v << (bits * i) for i, v in enumerate(values))


def main():
    mode, key = sys.argv[1], sys.argv[2]
    request = json.load(sys.stdin)
    bits = request["slot_bits"]
    if mode == "decrypt":
        p, q = private_pq(key)
        n = p * q
        n2 = n * n
        lam = math.lcm(p - 1, q - 1)
        mu = pow((pow(n + 1, lam, n2) - 1) // n, -1, n)
        values = []
        for c in request["ciphertexts"]:
            c = int(c, 16)
            assert 0 < c < n2 and math.gcd(c, n) == 1
            m = (pow(c, lam, n2) - 1) // n * mu % n
            values.append(unpack(signed(m, n), request["slots"], bits))
        json.dump({"n": format(n, "x"), "values": values}, sys.stdout)
    elif mode == "encrypt":
        n = public_n(key)
        n2 = n * n
        out = []
        for slots in request["values"]:
            m = pack(slots, bits) % n
            while True:
                r = secrets.randbelow(n)
                if r > 0 and math.gcd(r, n) == 1:
                    break
            out.append(format((1 + m * n) * pow(r, n, n2) % n2, "x"))
        json.dump({"ciphertexts": out}, sys.stdout)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
