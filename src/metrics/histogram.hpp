// Value counts: the basis of the entropy and chi-square figures and of the histogram plots.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "metrics/channel.hpp"

namespace medcrypt::metrics {

using Histogram = std::vector<std::uint64_t>;

// Counts of each value 0..2^bits - 1 over every frame of the channel.
Histogram histogram(const Channel& channel);

// Counts of each byte 0..255 in the values written as little-endian 16-bit words (two bytes per value),
// derived from a value histogram of more than 8 bits. For 8-bit values it is the histogram itself.
Histogram byte_histogram(std::span<const std::uint64_t> value_histogram);

}  // namespace medcrypt::metrics
