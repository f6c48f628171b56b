// The histogram's chi-square goodness-of-fit test against the uniform distribution:
//   chi2 = sum over all L = 2^bits levels of (observed - expected)^2 / expected, expected = N / L,
// with L - 1 degrees of freedom. A cipher image should look uniform: it passes at level alpha when
// chi2 <= the upper-alpha critical value (293.25 for 8-bit data at alpha 0.05).
#pragma once

#include <cstdint>
#include <span>

#include "metrics/significance.hpp"

namespace medcrypt::metrics {

struct ChiSquareTest {
  double statistic = 0;
  double p_value = 0;            // P(X > statistic) under uniformity
  std::uint32_t degrees_of_freedom = 0;
  PerLevel<double> critical{};   // upper-alpha quantiles, one per significance level
  PerLevel<bool> pass{};
};

// `histogram` has one bin per level (2^bits bins) and at least one sample.
ChiSquareTest chi_square_test(std::span<const std::uint64_t> histogram);

}  // namespace medcrypt::metrics
