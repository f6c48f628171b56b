#include "metrics/histogram.hpp"

namespace medcrypt::metrics {

Histogram histogram(const Channel& channel) {
  Histogram counts(std::size_t{channel.max_value()} + 1, 0);
  for (std::uint16_t v : channel.values()) ++counts[v];
  return counts;
}

Histogram byte_histogram(std::span<const std::uint64_t> value_histogram) {
  if (value_histogram.size() <= 256) return Histogram(value_histogram.begin(), value_histogram.end());
  Histogram counts(256, 0);
  for (std::size_t v = 0; v < value_histogram.size(); ++v) {
    counts[v & 0xff] += value_histogram[v];
    counts[v >> 8] += value_histogram[v];
  }
  return counts;
}

}  // namespace medcrypt::metrics
