// chaos-henon:paper version 2: one round of paper 000's Algorithm 1 on one frame, every step the paper
// states, in its order (docs/SCHEMES.md lists each reading):
//   4.1  partition: the full block x block blocks permuted (the planner gives the order);
//   4.2  each partition scrambled: the samples inside every destination block permuted, a permutation
//        per block;
//        then the rows and the columns permuted ("changing the columns ... changing the rows");
//   5.2  pixel values changed: every sample's bits rotated left by a keystream amount ("scrambling bits
//        of pixels"), then an XOR chain horizontally (row-major) and one vertically (column-major),
//        c[i] = x[i] xor k[i] xor c[i-1] ("the OR operation ... between the pixel value, the K key, and the
//        scrambled image vector").
// The whole round is linear over GF(2) in the plain bits for a fixed key: its statistics can look ideal
// while a known-plaintext attacker solves for it (docs/SECURITY.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chaos/henon.hpp"
#include "chaos/planner.hpp"

namespace medcrypt::chaos {

// A round's keys, drawn from the one stream in this order: block order (the planner), the in-block
// permutations (one per destination block, block^2 entries each), the row and column permutations, the
// horizontal and vertical IVs, then the rotation, horizontal and vertical keystreams, n values each
// (Henon words; an 8-bit frame takes each word's low byte, then its high byte).
struct PaperRoundKeys {
  BlockPlan plan;
  std::vector<std::uint32_t> inner;  // destination block d, position p: inner[d * block^2 + p]
  std::vector<std::uint32_t> rows, cols;
  std::uint16_t iv_h = 0, iv_v = 0;
  std::vector<std::uint16_t> k_rot, k_h, k_v;
};

// Draws into `keys`, reusing its buffers' memory from an earlier round.
Status draw_paper_round(const PlanRequest& request, const BlockPlanner& planner, unsigned word_bits,
                        HenonStream& stream, PaperRoundKeys& keys);

// Encrypts `frame` in place; `scratch` is a buffer of the frame's size.
template <typename Word>
void encrypt_paper_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape,
                         const PaperRoundKeys& keys);
template <typename Word>
void decrypt_paper_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape,
                         const PaperRoundKeys& keys);

}  // namespace medcrypt::chaos
