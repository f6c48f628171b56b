#!/usr/bin/python3
"""An independent implementation of the chaos-henon schemes (chaos-henon, chaos-henon:paper versions 1 and 2), written from docs/SCHEMES.md in plain Python
(float is IEEE-754 double, as in C++), used to produce the known-answer digests that medcrypt must match.

    chaos_henon_reference.py            prints the known-answer table (tests/vectors/chaos/kat.txt)
    chaos_henon_reference.py --count    counts the paper key schedule's diverging (x0, y0) pairs
    chaos_henon_reference.py --roi VARIANT PLAIN PAYLOAD WIDTH HEIGHT FRAMES SAMPLES BITS
        checks a payload medcrypt made with a region-of-interest network (VARIANT: sound, sound-selective,
        paper) under the KAT key: opens its sealed plan and encrypts PLAIN (raw little-endian words) again
"""
import hashlib
import math
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def quantise(v):
    scaled = abs(v) * 1e12
    if not scaled < 1e15:
        return 0
    return int(scaled) & 0xFFFF


class Henon:
    def __init__(self, a, b, x0, y0, warmup):
        self.a, self.b, self.x, self.y = a, b, x0, y0
        for _ in range(warmup):
            self.x, self.y = (1.0 + self.y) - (self.a * self.x) * self.x, self.b * self.x
        self.pending = None

    def finite(self):
        return math.isfinite(self.x) and math.isfinite(self.y) and abs(self.x) < 4.0

    def lyapunov(self, steps):
        x, y, u, w, total = self.x, self.y, 1.0, 0.0, 0.0
        for _ in range(steps):
            u, w = -2.0 * self.a * x * u + w, self.b * u
            norm = math.sqrt(u * u + w * w)
            total += math.log(norm)
            u, w = u / norm, w / norm
            x, y = (1.0 + y) - (self.a * x) * x, self.b * x
        return total / steps

    def next(self):
        if self.pending is not None:
            word, self.pending = self.pending, None
            return word
        self.x, self.y = (1.0 + self.y) - (self.a * self.x) * self.x, self.b * self.x
        self.pending = quantise(self.y)
        return quantise(self.x)

    def next32(self):
        hi = self.next()
        return (hi << 16) | self.next()


def uniform_below(bound, stream):
    m = stream.next32() * bound
    low = m & 0xFFFFFFFF
    if low < bound:
        threshold = (2**32 - bound) % bound
        while low < threshold:
            m = stream.next32() * bound
            low = m & 0xFFFFFFFF
    return m >> 32


def permutation(n, stream):
    perm = list(range(n))
    for i in range(n, 1, -1):
        j = uniform_below(i, stream)
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    return perm


def block_order(blocks, flags, stream):
    """The block plan: a drawn order of every full block; with region-of-interest flags, the flagged blocks
    first, each group in its own drawn order."""
    if flags is None:
        return permutation(blocks, stream)
    inside = [b for b in range(blocks) if flags[b]]
    outside = [b for b in range(blocks) if not flags[b]]
    return ([inside[i] for i in permutation(len(inside), stream)] +
            [outside[i] for i in permutation(len(outside), stream)])


def keystream(samples, word_bytes, stream):
    words = [stream.next() for _ in range((samples * word_bytes + 1) // 2)]
    if word_bytes == 2:
        return words
    out = []
    for w in words:
        out += [w & 0xFF, w >> 8]
    return out[:samples]


def chain_tables(word_bytes, stream):
    """S's tables: a permutation of the 256 byte values, then (16-bit words) a second one: F, G."""
    return sum((permutation(256, stream) for _ in range(word_bytes)), [])


def chain(tables, x, word_bytes):
    """S: the table for bytes; for 16-bit words a two-round Feistel network on (high, low) byte."""
    if word_bytes == 1:
        return tables[x]
    h = (x >> 8) ^ tables[x & 0xFF]
    return h << 8 | ((x & 0xFF) ^ tables[256 + h])


def draw_round(rows, cols, block, word_bytes, forward, backward, flags=None):
    """Block order, row and column permutations, iv1 (then iv1_more and S1) from the forward stream, iv2,
    iv2_more and S2 from the backward one (iv1_more, S1 and the backward stream: two-pass only); then k1
    continues the forward stream and k2 the backward stream."""
    blocks = (rows // block) * (cols // block)
    keys = {"order": block_order(blocks, flags, forward), "rows": permutation(rows, forward),
            "cols": permutation(cols, forward), "iv1": forward.next()}
    if backward is not None:
        keys["iv1_more"] = [forward.next() for _ in range(3)]
        keys["s1"] = chain_tables(word_bytes, forward)
        keys["iv2"] = backward.next()
        keys["iv2_more"] = [backward.next() for _ in range(3)]
        keys["s2"] = chain_tables(word_bytes, backward)
    keys["k1"] = keystream(rows * cols, word_bytes, forward)
    if backward is not None:
        keys["k2"] = keystream(rows * cols, word_bytes, backward)
    return keys


def encrypt_round(frame, rows, cols, block, keys, mask, two_pass):
    word_bytes = 1 if mask == 0xFF else 2
    moved = list(frame)
    per_row = cols // block
    for d, s in enumerate(keys["order"]):
        for r in range(block):
            dst = ((d // per_row) * block + r) * cols + (d % per_row) * block
            src = ((s // per_row) * block + r) * cols + (s % per_row) * block
            moved[dst:dst + block] = frame[src:src + block]
    out = [moved[keys["rows"][r] * cols + keys["cols"][c]] for r in range(rows) for c in range(cols)]
    prev = keys["iv1"] & mask
    if not two_pass:
        for i in range(len(out)):
            out[i] = out[i] ^ keys["k1"][i] ^ prev
            prev = out[i]
        return out
    # c[i] = s[i] + k1[i] + S1(c[i-3] + c[i-4]), then d[i] = c[i] + k2[j] + S2(d[i+3] + d[i+4])
    h = [prev] + [v & mask for v in keys["iv1_more"]]  # c[i-1], c[i-2], c[i-3], c[i-4]
    for i in range(len(out)):
        out[i] = (out[i] + keys["k1"][i] + chain(keys["s1"], (h[2] + h[3]) & mask, word_bytes)) & mask
        h = [out[i]] + h[:3]
    h = [keys["iv2"] & mask] + [v & mask for v in keys["iv2_more"]]
    n = len(out)
    for j in range(n):
        i = n - 1 - j
        out[i] = (out[i] + keys["k2"][j] + chain(keys["s2"], (h[2] + h[3]) & mask, word_bytes)) & mask
        h = [out[i]] + h[:3]
    return out


PAPER_ROUNDS = 4  # version 2: "n = 4"


def draw_paper_round(rows, cols, block, word_bytes, stream, flags=None):
    """chaos-henon:paper version 2, one round's keys from the single stream, in this order: the block
    order, one in-block permutation per destination block, the row and column permutations, the
    horizontal and vertical IVs, then the rotation, horizontal and vertical keystreams (n values each)."""
    blocks = (rows // block) * (cols // block)
    keys = {"order": block_order(blocks, flags, stream)}
    keys["inner"] = [permutation(block * block, stream) for _ in range(blocks)]
    keys["rows"] = permutation(rows, stream)
    keys["cols"] = permutation(cols, stream)
    keys["iv_h"] = stream.next()
    keys["iv_v"] = stream.next()
    n = rows * cols
    keys["k_rot"] = keystream(n, word_bytes, stream)
    keys["k_h"] = keystream(n, word_bytes, stream)
    keys["k_v"] = keystream(n, word_bytes, stream)
    return keys


def encrypt_paper_round(frame, rows, cols, block, keys, bits):
    """Algorithm 1 steps 4-5: block permutation, each block scrambled inside, rows and columns permuted,
    then every sample's bits rotated left, a horizontal XOR chain (row-major) and a vertical one
    (column-major): c[i] = x[i] xor k[i] xor c[i-1]."""
    mask = (1 << bits) - 1
    per_row = cols // block
    moved = list(frame)
    for d, s in enumerate(keys["order"]):
        inner = keys["inner"][d]
        for pos in range(block * block):
            src_pos = inner[pos]
            dst = ((d // per_row) * block + pos // block) * cols + (d % per_row) * block + pos % block
            src = ((s // per_row) * block + src_pos // block) * cols + (s % per_row) * block + src_pos % block
            moved[dst] = frame[src]
    out = [moved[keys["rows"][r] * cols + keys["cols"][c]] for r in range(rows) for c in range(cols)]
    for i in range(len(out)):
        r = keys["k_rot"][i] % bits
        out[i] = ((out[i] << r) | (out[i] >> (bits - r))) & mask
    prev = keys["iv_h"] & mask
    for i in range(len(out)):
        out[i] = out[i] ^ keys["k_h"][i] ^ prev
        prev = out[i]
    prev = keys["iv_v"] & mask
    for j in range(len(out)):
        i = (j % rows) * cols + j // rows
        out[i] = out[i] ^ keys["k_v"][j] ^ prev
        prev = out[i]
    return out


def hkdf(key, salt, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info.encode()).derive(key)


def unit(v):
    return (v >> 11) * 2.0**-53


def sound_stream(key, message_id, frame, rnd, pass_number):
    for attempt in range(64):
        m = hkdf(key, message_id, f"chaos-henon v1 frame {frame} round {rnd} pass {pass_number} attempt {attempt}", 36)
        u = struct.unpack("<4Q", m[:32])
        x0 = -0.4 + 0.8 * unit(u[0])
        y0 = -0.1 + 0.2 * unit(u[1])
        a = 1.395 + 0.01 * unit(u[2])
        b = 0.295 + 0.01 * unit(u[3])
        warmup = 1000 + ((m[32] | (m[33] << 8)) & 1023)
        stream = Henon(a, b, x0, y0, warmup)
        if stream.finite() and stream.lyapunov(2000) > 0.3:
            return stream
    raise RuntimeError("no chaotic parameters")


def paper_stream(key):
    x = y = 0
    for i in range(8):
        x ^= key[i]
        y ^= key[8 + i]
    return Henon(1.4, 0.3, x / 256.0, y / 256.0, 10000)


def encrypt_selective(frame, rows, cols, block, flags, key, message_id, f, rounds, word_bytes, mask):
    """roi-mode=selective: the flagged blocks stacked one below the other go through the rounds (a drawn
    block order of the stack); every other sample, row-major, is XORed with the pass-3 keystream."""
    per_row = cols // block
    covered_rows = (rows // block) * block
    roi = [b for b in range(len(flags)) if flags[b]]
    origins = [((b // per_row) * block, (b % per_row) * block) for b in roi]
    stack = []
    for r0, c0 in origins:
        for r in range(block):
            stack += frame[(r0 + r) * cols + c0:(r0 + r) * cols + c0 + block]
    for rnd in range(rounds if roi else 0):
        forward = sound_stream(key, message_id, f, rnd, 1)
        backward = sound_stream(key, message_id, f, rnd, 2)
        keys = draw_round(len(roi) * block, block, block, word_bytes, forward, backward)
        stack = encrypt_round(stack, len(roi) * block, block, block, keys, mask, True)

    def in_roi(i):
        r, c = divmod(i, cols)
        return r < covered_rows and c < per_row * block and flags[(r // block) * per_row + c // block]

    background = [i for i in range(rows * cols) if not in_roi(i)]
    out = list(frame)
    for i, k in zip(background, keystream(len(background), word_bytes, sound_stream(key, message_id, f, 0, 3))):
        out[i] = frame[i] ^ k
    for n, (r0, c0) in enumerate(origins):
        for r in range(block):
            out[(r0 + r) * cols + c0:(r0 + r) * cols + c0 + block] = stack[(n * block + r) * block:(n * block + r + 1) * block]
    return out


def encrypt(words, width, height, frames, samples, bits, key, message_id, variant, rounds=2, block=32, flags=None):
    """variant: "sound", "sound-selective", "paper" (chaos-henon:paper version 2) or "paper-v1". `flags`:
    one list of region-of-interest flags per frame (one per full block), or None."""
    mask = (1 << bits) - 1
    word_bytes = bits // 8
    rows, cols = height, width * samples
    n = rows * cols
    out = []
    stream = paper_stream(key) if variant.startswith("paper") else None
    if stream is not None and not stream.finite():
        raise RuntimeError("diverging key")
    for f in range(frames):
        frame = words[f * n:(f + 1) * n]
        frame_flags = None if flags is None else flags[f]
        if variant == "paper":
            for _ in range(PAPER_ROUNDS):
                keys = draw_paper_round(rows, cols, 32, word_bytes, stream, frame_flags)
                frame = encrypt_paper_round(frame, rows, cols, 32, keys, bits)
        elif variant == "paper-v1":
            keys = draw_round(rows, cols, 32, word_bytes, stream, None)
            frame = encrypt_round(frame, rows, cols, 32, keys, mask, False)
        elif variant == "sound-selective":
            frame = encrypt_selective(frame, rows, cols, block, frame_flags, key, message_id, f, rounds, word_bytes, mask)
        else:
            for r in range(rounds):
                forward = sound_stream(key, message_id, f, r, 1)
                backward = sound_stream(key, message_id, f, r, 2)
                keys = draw_round(rows, cols, block, word_bytes, forward, backward, frame_flags)
                frame = encrypt_round(frame, rows, cols, block, keys, mask, True)
        out += frame
    return out


def open_plan(payload, image_bytes, frames, blocks, key, message_id):
    """The sealed plan after the cipher image: AES-256-GCM under HKDF(key, message id, "chaos-henon roi
    plan key"), zero nonce, AAD "chaos-henon roi plan v1"; flags bit-packed frame by frame."""
    plan_key = hkdf(key, message_id, "chaos-henon roi plan key", 32)
    packed = AESGCM(plan_key).decrypt(bytes(12), payload[image_bytes:], b"chaos-henon roi plan v1")
    per_frame = (blocks + 7) // 8
    return [[(packed[f * per_frame + b // 8] >> (b % 8)) & 1 for b in range(blocks)] for f in range(frames)]


def check_roi(variant, plain_file, payload_file, width, height, frames, samples, bits):
    with open(plain_file, "rb") as f:
        plain_bytes = f.read()
    with open(payload_file, "rb") as f:
        payload = f.read()
    count = width * height * frames * samples
    fmt = "<%dB" % count if bits == 8 else "<%dH" % count
    words = list(struct.unpack(fmt, plain_bytes))
    blocks = (height // 32) * (width * samples // 32)
    flags = open_plan(payload, len(plain_bytes), frames, blocks, KEY, MESSAGE_ID)
    rounds = 1 if variant.startswith("sound") else PAPER_ROUNDS
    cipher = encrypt(words, width, height, frames, samples, bits, KEY, MESSAGE_ID, variant, rounds, 32, flags)
    same = struct.pack(fmt, *cipher) == payload[:len(plain_bytes)]
    print("%s: %d of %d blocks flagged; cipher image %s" % (variant, sum(map(sum, flags)), blocks * frames,
                                                             "matches" if same else "DIFFERS"))
    return 0 if same else 1


def kat_image(width, height, frames, samples, bits):
    """Deterministic pixels: an LCG, top bits, masked to the word size."""
    state, words = 12345, []
    for _ in range(width * height * frames * samples):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        words.append((state >> 33) & ((1 << bits) - 1))
    return words


def digest(words, bits):
    fmt = "<%dB" % len(words) if bits == 8 else "<%dH" % len(words)
    return hashlib.sha256(struct.pack(fmt, *words)).hexdigest()


# name, variant, width, height, frames, samples, bits, rounds, block
KATS = [
    ("sound-gray8-odd", "sound", 37, 23, 1, 1, 8, 2, 32),
    ("sound-gray16-blocks", "sound", 70, 66, 1, 1, 16, 2, 32),
    ("sound-rgb8-2frames", "sound", 21, 13, 2, 3, 8, 1, 4),
    ("sound-rgb16-block5", "sound", 17, 12, 1, 3, 16, 3, 5),
    ("paper-gray8", "paper-v1", 64, 40, 1, 1, 8, 1, 32),
    ("paper-rgb16-2frames", "paper-v1", 33, 35, 2, 3, 16, 1, 32),
    ("paper2-gray8", "paper", 64, 40, 1, 1, 8, 4, 32),
    ("paper2-gray8-odd", "paper", 97, 71, 1, 1, 8, 4, 32),
    ("paper2-rgb16-2frames", "paper", 33, 35, 2, 3, 16, 4, 32),
]
KEY = hashlib.sha256(b"chaos-henon kat key").digest()
MESSAGE_ID = hashlib.sha256(b"chaos-henon kat message id").digest()[:16]


def main():
    if len(sys.argv) == 10 and sys.argv[1] == "--roi":
        return check_roi(sys.argv[2], sys.argv[3], sys.argv[4], *map(int, sys.argv[5:]))
    if "--count" in sys.argv:
        bad = 0
        for x in range(256):
            for y in range(256):
                h = Henon(1.4, 0.3, x / 256.0, y / 256.0, 10000)
                bad += not h.finite()
        print(bad)
        return 0
    print("# chaos-henon known answers, made by tests/interop/chaos_henon_reference.py (independent of medcrypt).")
    print("# key = SHA-256('chaos-henon kat key'), message id = SHA-256('chaos-henon kat message id')[:16]")
    print("# name variant width height frames samples bits rounds block sha256(plain) sha256(cipher)")
    for name, variant, w, h, f, s, bits, rounds, block in KATS:
        plain = kat_image(w, h, f, s, bits)
        cipher = encrypt(plain, w, h, f, s, bits, KEY, MESSAGE_ID, variant, rounds, block)
        print(name, variant, w, h, f, s, bits, rounds, block, digest(plain, bits), digest(cipher, bits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
