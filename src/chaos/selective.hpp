// Selective encryption (chaos-henon roi-mode=selective): the full cipher runs on the region-of-interest
// blocks only, stacked into one column of blocks; every other sample (background blocks and the strips no
// full block covers) is XORed with a keystream of its own and nothing else: no permutation, no diffusion.
// docs/SECURITY.md says what that gives away.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chaos/henon.hpp"
#include "chaos/planner.hpp"

namespace medcrypt::chaos {

// The full blocks flagged 1 in `roi` (row-major over the frame's full blocks), in that order.
std::vector<std::uint32_t> roi_blocks(std::span<const std::uint8_t> roi);

// The shape of the stack: the ROI blocks one below the other, `block` samples wide.
inline FrameShape stack_shape(std::uint32_t block, std::size_t blocks) {
  return {static_cast<std::uint32_t>(blocks * block), block};
}

// Copies the listed blocks of `frame` into `stack` (block i at stack rows i*block ..), and back.
template <typename Word>
void stack_blocks(const Word* frame, Word* stack, FrameShape shape, std::uint32_t block,
                  std::span<const std::uint32_t> blocks);
template <typename Word>
void unstack_blocks(const Word* stack, Word* frame, FrameShape shape, std::uint32_t block,
                    std::span<const std::uint32_t> blocks);

// out = in XOR keystream on every sample outside the ROI blocks, in row-major order; ROI samples of `out`
// are left alone. `in` and `out` may be the same frame. Its own inverse.
template <typename Word>
void xor_background(const Word* in, Word* out, FrameShape shape, std::uint32_t block,
                    std::span<const std::uint8_t> roi, HenonStream& stream);

// One flag per sample of the frame (row-major): 1 outside the ROI blocks, where the lighter cipher ran.
std::vector<std::uint8_t> background_mask(FrameShape shape, std::uint32_t block, std::span<const std::uint8_t> roi);

}  // namespace medcrypt::chaos
