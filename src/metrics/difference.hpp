// Sample-by-sample differences of two channels of the same geometry, summed in one pass: what NPCR, UACI,
// MSE and MAE are made of.
#pragma once

#include <cstdint>

#include "metrics/channel.hpp"

namespace medcrypt::metrics {

struct DifferenceSums {
  std::uint64_t samples = 0;
  std::uint64_t differing = 0;   // samples where a != b
  std::uint64_t absolute = 0;    // sum |a - b|
  long double squared = 0;       // sum (a - b)^2, exact up to 2^64

  DifferenceSums& operator+=(const DifferenceSums& other);
};

// a and b must have the same width, height and frames.
DifferenceSums difference_sums(const Channel& a, const Channel& b);

}  // namespace medcrypt::metrics
