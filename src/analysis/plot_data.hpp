// What the HTML report draws for one image: each channel's histogram, merged into at most 256 bars, and
// adjacent-pixel pairs in each direction for the scatter plots (the first pairs of the sample the sampled
// correlation uses).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metrics/channel.hpp"
#include "metrics/correlation.hpp"

namespace medcrypt::analysis {

inline constexpr std::size_t kHistogramBars = 256;
inline constexpr std::size_t kScatterPoints = 2000;

struct ChannelPlotData {
  std::vector<std::uint64_t> bars;  // bar i counts values [i * L / bars, (i + 1) * L / bars)
  std::array<std::vector<std::pair<std::uint16_t, std::uint16_t>>, 3> pairs;  // indexed by Direction
};

struct PlotData {
  std::uint32_t max_value = 0;
  std::vector<std::string> channel_names;
  std::vector<ChannelPlotData> channels;
};

PlotData plot_data(const std::vector<metrics::Channel>& channels, const std::vector<std::string>& names,
                   const metrics::PairSample& sample);

}  // namespace medcrypt::analysis
