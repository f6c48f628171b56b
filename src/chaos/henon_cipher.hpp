// The permutation-diffusion rounds of paper 000 on one frame, for 8- and 16-bit words.
//
// One round:  confusion  = full-block permutation, then row permutation, then column permutation;
//             diffusion  = forward chaining c[i] = (s[i] + k1[i]) xor c[i-1], then (two-pass variant)
//                          backward chaining d[i] = (c[i] + k2[j]) xor d[i+1] for i = n-1 down to 0,
//                          j = n-1-i, arithmetic modulo 2^bits.
// With both passes one changed plain sample changes every cipher sample. The keystreams are consumed in
// the order the Henon orbits produce them, in both directions, so they are never stored whole.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chaos/henon.hpp"
#include "chaos/planner.hpp"

namespace medcrypt::chaos {

enum class Diffusion {
  kForwardXor,   // paper variant: c[i] = s[i] xor k[i] xor c[i-1], one pass
  kTwoPass,      // sound variant: modular add and xor, forward then backward
};

// A round's keys. `forward` is drawn from first (block plan, row permutation, column permutation, iv1)
// and then supplies k1; `backward` (two-pass only) supplies iv2 and then k2. Keystream words are 16 bits;
// an 8-bit frame takes each word's low byte, then its high byte.
struct RoundKeys {
  BlockPlan plan;
  std::vector<std::uint32_t> rows, cols;
  std::uint16_t iv1 = 0, iv2 = 0;
  HenonStream* forward = nullptr;
  HenonStream* backward = nullptr;
};

Result<RoundKeys> draw_round_keys(const PlanRequest& request, const BlockPlanner& planner, HenonStream& forward,
                                  HenonStream* backward);

// `in` and `out` may be the same frame; `scratch` is a buffer of the frame's size.
template <typename Word>
void encrypt_round(std::span<const Word> in, std::span<Word> out, std::span<Word> scratch, FrameShape shape,
                   RoundKeys& keys, Diffusion diffusion);
// Decrypts `frame` in place.
template <typename Word>
void decrypt_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape, RoundKeys& keys,
                   Diffusion diffusion);

}  // namespace medcrypt::chaos
