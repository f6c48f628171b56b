// Correlation of adjacent pixels (Pearson's r) in three directions, within each frame:
//   horizontal (x(i,j), x(i,j+1)), vertical (x(i,j), x(i+1,j)), diagonal (x(i,j), x(i+1,j+1)).
// A natural image is close to 1 in every direction; a cipher image should be close to 0. Over a constant
// image (or a direction without pairs) r is undefined: NaN, reported as null.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "metrics/channel.hpp"
#include "metrics/sampling.hpp"

namespace medcrypt::metrics {

enum class Direction { kHorizontal, kVertical, kDiagonal };
inline constexpr std::array<Direction, 3> kDirections = {Direction::kHorizontal, Direction::kVertical,
                                                         Direction::kDiagonal};
std::string_view direction_name(Direction direction);  // "horizontal", "vertical", "diagonal"

// One r per direction, indexed by Direction.
struct Correlations {
  std::array<double, 3> r{};
  double operator[](Direction d) const { return r[static_cast<std::size_t>(d)]; }
  double& operator[](Direction d) { return r[static_cast<std::size_t>(d)]; }
};

// Over every adjacent pair of every frame.
Correlations adjacent_correlation(const Channel& channel);

// The papers' estimate: N pairs per direction, their first pixels drawn uniformly (with replacement)
// among the positions that have a neighbour in that direction.
inline constexpr std::size_t kDefaultSampledPairs = 10000;

// First pixels of the sampled pairs, per direction; drawn in the order horizontal, vertical, diagonal
// from one generator seeded with `seed`, so every channel of an image gets the same positions.
struct PairSample {
  std::array<std::vector<PixelPosition>, 3> origins;
  const std::vector<PixelPosition>& operator[](Direction d) const { return origins[static_cast<std::size_t>(d)]; }
};
PairSample sample_adjacent_pairs(std::uint32_t width, std::uint32_t height, std::uint32_t frames, std::size_t pairs,
                                 std::uint64_t seed);

// The pixel next to `origin` in `direction`.
PixelPosition neighbour(PixelPosition origin, Direction direction);

// r over the pairs starting at `origins` in `direction`.
double pair_correlation(const Channel& channel, Direction direction, std::span<const PixelPosition> origins);
Correlations sampled_correlation(const Channel& channel, const PairSample& sample);

}  // namespace medcrypt::metrics
