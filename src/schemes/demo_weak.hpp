// Scheme `demo-weak`: a control cipher, deliberately broken, for `medcrypt attack` and `medcrypt analyze`
// only (never for sending images). It is the Preishuber point (IEEE TIFS 2018) as running code: its cipher
// images pass every statistical and differential test of `analyze` (entropy, chi-square, correlation,
// NPCR/UACI at Wu's critical values), and `medcrypt attack chosen-plaintext` recovers any image it encrypts
// from 1 + ceil(log2(N) / b) chosen images (3 or 4 for one 512x512 frame).
//
// The cipher, over the image's words as one array (n words of w = 8 or 16 bits):
//   C = D(P[perm] xor K)
// perm and K come from the 256-bit key alone (AES-256-CTR), so every message reuses them: the flaw. D is a
// public, unkeyed diffusion, prefix sums and suffix sums mod 2^w, twice: one changed word changes nearly
// every cipher word, which is all NPCR and UACI measure, and it adds no security since anyone can undo it.
#pragma once

#include <cstdint>
#include <span>

#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo demo_weak_info();
Result<std::unique_ptr<Scheme>> make_demo_weak(const SchemeParams& params);

// D and its inverse, in place, on 8- or 16-bit words: public, as the attacker knows the algorithm.
template <typename Word>
void demo_weak_diffuse(std::span<Word> words);
template <typename Word>
void demo_weak_undiffuse(std::span<Word> words);

}  // namespace medcrypt::schemes
