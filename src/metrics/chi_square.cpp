#include "metrics/chi_square.hpp"

namespace medcrypt::metrics {

ChiSquareTest chi_square_test(std::span<const std::uint64_t> histogram) {
  std::uint64_t total = 0;
  for (std::uint64_t c : histogram) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(histogram.size());
  double statistic = 0;
  for (std::uint64_t c : histogram) {
    const double d = static_cast<double>(c) - expected;
    statistic += d * d;
  }
  statistic /= expected;

  ChiSquareTest test;
  test.statistic = statistic;
  test.degrees_of_freedom = static_cast<std::uint32_t>(histogram.size() - 1);
  test.p_value = chi_square_upper_tail(test.degrees_of_freedom, statistic);
  for (std::size_t i = 0; i < kLevelCount; ++i) {
    test.critical[i] = chi_square_upper_quantile(test.degrees_of_freedom, kSignificanceLevels[i]);
    test.pass[i] = statistic <= test.critical[i];
  }
  return test;
}

}  // namespace medcrypt::metrics
