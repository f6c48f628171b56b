// The permutation-diffusion rounds of paper 000 on one frame, for 8- and 16-bit words.
//
// One round:  confusion  = full-block permutation, then row permutation, then column permutation;
//             diffusion  = forward chaining c[i] = s[i] + k1[i] + S1(c[i-3] + c[i-4]), then (two-pass
//                          variant) backward chaining d[i] = c[i] + k2[j] + S2(d[i+3] + d[i+4]) for
//                          i = n-1 down to 0, j = n-1-i; arithmetic modulo 2^bits; four IVs per pass stand
//                          for c[-1] .. c[-4]. S1, S2 are keyed permutations of the word values: for 8-bit
//                          words a table of the 256 values; for 16-bit words a two-round Feistel network
//                          on the bytes (h, l) -> (h', l') with h' = h xor F[l], l' = l xor G[h'], F and G
//                          byte permutations (two tables in L1 cache: a 2^16-entry table would sit in L2
//                          and cost the serial chain about half again as much).
// The chain goes through S because a chain that only adds or xors carries a difference along unchanged
// (c' - c or c' xor c stays constant), which a differential attack reads off. It takes the sum of two
// earlier values so that a difference can also vanish (S's input difference can be 0), as between
// unrelated images; through one value and a permutation it never could, which biases NPCR and UACI. S is
// a permutation so that a difference vanishes only there, exactly as often as between unrelated images.
// The values are three and four places back, not one and two, so that three chains interleave and the
// serial dependency (an add, S's table lookups, two adds) is paid once per three samples. A changed
// sample changes every later one in the forward pass except the next two and the fifth, and the backward
// pass reaches those and every earlier one: each cipher sample of the frame changes with probability
// 1 - 2^-bits. Decryption never inverts S. The keystreams are consumed in the order the Henon orbits
// produce them, in both directions, so they are never stored whole.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "chaos/henon.hpp"
#include "chaos/planner.hpp"

namespace medcrypt::chaos {

enum class Diffusion {
  kForwardXor,   // paper variant: c[i] = s[i] xor k[i] xor c[i-1], one pass
  kTwoPass,      // sound variant: modular add through keyed permutations, forward then backward
};

// A round's keys. `forward` is drawn from first (block plan, row permutation, column permutation, iv1,
// then for two-pass iv1_more and S1) and then supplies k1; `backward` (two-pass only) supplies iv2,
// iv2_more and S2, then k2.
// Keystream words are 16 bits; an 8-bit frame takes each word's low byte, then its high byte.
struct RoundKeys {
  BlockPlan plan;
  std::vector<std::uint32_t> rows, cols;
  std::uint16_t iv1 = 0, iv2 = 0;                       // c[-1], d[n]
  std::array<std::uint16_t, 3> iv1_more{}, iv2_more{};  // two-pass only: c[-2..-4], d[n+1..n+3]
  std::vector<std::uint8_t> s1, s2;  // two-pass only: S's tables (8-bit: 256 entries; 16-bit: F then G)
  HenonStream* forward = nullptr;
  HenonStream* backward = nullptr;
};

// `backward` null: one forward pass (no S-boxes). `word_bits` (8 or 16) sizes S1 and S2.
Result<RoundKeys> draw_round_keys(const PlanRequest& request, const BlockPlanner& planner, unsigned word_bits,
                                  HenonStream& forward, HenonStream* backward);

// `in` and `out` may be the same frame; `scratch` is a buffer of the frame's size.
template <typename Word>
void encrypt_round(std::span<const Word> in, std::span<Word> out, std::span<Word> scratch, FrameShape shape,
                   RoundKeys& keys, Diffusion diffusion);
// Decrypts `frame` in place.
template <typename Word>
void decrypt_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape, RoundKeys& keys,
                   Diffusion diffusion);

}  // namespace medcrypt::chaos
