// Everything `medcrypt stats` reports about one image, per channel: entropy (over values and over bytes),
// local entropy, the histogram's chi-square test, and adjacent-pixel correlations (all pairs and sampled).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "metrics/channel.hpp"
#include "metrics/chi_square.hpp"
#include "metrics/correlation.hpp"
#include "metrics/local_entropy.hpp"

namespace medcrypt::metrics {

struct StatsOptions {
  std::size_t sampled_pairs = kDefaultSampledPairs;
  std::uint64_t seed = kDefaultSeed;  // pairs are drawn with `seed`, local entropy blocks with `seed + 1`
};

struct ChannelStats {
  std::string name;
  double entropy = 0;
  double entropy_bytes = 0;  // over the little-endian bytes of 16-bit values; equals entropy for 8-bit
  LocalEntropyTest local_entropy;
  ChiSquareTest chi_square;
  Correlations correlation;
  Correlations correlation_sampled;
};

struct ImageStats {
  std::uint32_t max_value = 0;  // F = 2^bits stored - 1
  StatsOptions options;
  std::vector<ChannelStats> channels;
};

ImageStats image_stats(const image::ImageView& image, const StatsOptions& options = {});

// The random choices behind the stats of an image of this geometry: adjacent pairs drawn with
// options.seed, local entropy blocks with options.seed + 1. Same geometry, same choices.
struct StatsSample {
  PairSample pairs;
  std::vector<PixelPosition> blocks;
};
StatsSample stats_sample(const image::Geometry& geometry, const StatsOptions& options);

// The same for channels already split (split_channels), with their names (channel_names).
ImageStats image_stats(std::span<const Channel> channels, const std::vector<std::string>& names,
                       const StatsSample& sample, const StatsOptions& options);

}  // namespace medcrypt::metrics
