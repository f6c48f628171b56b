// Local Shannon entropy (Wu, Zhou, Saveriades, Agaian, Noonan and Natarajan, Information Sciences 2013):
// the mean entropy of k = 30 non-overlapping blocks of T_B = 1936 pixels (44 x 44) at random positions.
// Unlike the global entropy, it sees a cipher that is uniform overall but not locally.
//
// The acceptance interval at level alpha is mu -/+ z_{alpha/2} sigma / sqrt(k), where mu and sigma^2 are
// the mean and variance of the entropy of T_B independent uniform values over L = 2^bits symbols,
// computed exactly from the binomial and multinomial distributions of the value counts (docs/ANALYSIS.md
// explains why these differ from the interval printed in the 2013 paper).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "metrics/channel.hpp"
#include "metrics/sampling.hpp"
#include "metrics/significance.hpp"

namespace medcrypt::metrics {

inline constexpr std::uint32_t kLocalEntropyBlockSide = 44;  // 44 x 44 = 1936 pixels
inline constexpr std::size_t kLocalEntropyBlocks = 30;

// Top-left corners of up to `count` distinct blocks of side x side pixels, drawn without replacement from
// the grid of whole blocks of each frame, so blocks never overlap. Fewer if fewer fit (none below 44x44).
std::vector<PixelPosition> choose_blocks(std::uint32_t width, std::uint32_t height, std::uint32_t frames,
                                         std::size_t count, std::uint32_t side, std::uint64_t seed);

// Mean and variance of the plug-in entropy (bits) of `block_pixels` independent values drawn uniformly
// from `symbols` symbols.
struct EntropyMoments {
  double mean = 0;
  double variance = 0;
};
EntropyMoments uniform_block_entropy_moments(std::uint32_t symbols, std::uint32_t block_pixels);

struct LocalEntropyTest {
  double value = 0;               // mean block entropy; NaN when no block fits
  std::size_t blocks = 0;         // k
  std::uint32_t block_pixels = 0; // T_B
  PerLevel<Interval> acceptance{};  // NaN when no block fits
  PerLevel<bool> pass{};
};

LocalEntropyTest local_entropy_test(const Channel& channel, std::span<const PixelPosition> blocks,
                                    std::uint32_t side = kLocalEntropyBlockSide);

}  // namespace medcrypt::metrics
