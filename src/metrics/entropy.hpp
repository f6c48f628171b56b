// Shannon entropy of a histogram: H = -sum p_i log2 p_i over the values that occur, in bits.
#pragma once

#include <cstdint>
#include <span>

namespace medcrypt::metrics {

// 0 for an empty histogram. At most log2(number of bins): 8 for a uniform 8-bit histogram.
double shannon_entropy(std::span<const std::uint64_t> histogram);

}  // namespace medcrypt::metrics
