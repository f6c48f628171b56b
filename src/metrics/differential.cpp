#include "metrics/differential.hpp"

#include <cmath>

namespace medcrypt::metrics {

double npcr_critical(std::uint32_t max_value, std::uint64_t samples, double alpha) {
  const double f = max_value;
  const double z = normal_upper_quantile(alpha);
  return 100 * (f - z * std::sqrt(f / static_cast<double>(samples))) / (f + 1);
}

Interval uaci_critical(std::uint32_t max_value, std::uint64_t samples, double alpha) {
  const double f = max_value;
  const double n = static_cast<double>(samples);
  const double mu = (f + 2) / (3 * f + 3);
  const double sigma = std::sqrt((f + 2) * (f * f + 2 * f + 3) / (18 * (f + 1) * (f + 1) * n * f));
  const double z = normal_upper_quantile(alpha / 2);
  return {100 * (mu - z * sigma), 100 * (mu + z * sigma)};
}

DifferentialTest differential_test(const DifferenceSums& sums, std::uint32_t max_value) {
  DifferentialTest test;
  const double n = static_cast<double>(sums.samples);
  test.npcr = 100 * static_cast<double>(sums.differing) / n;
  test.uaci = 100 * static_cast<double>(sums.absolute) / (n * max_value);
  for (std::size_t i = 0; i < kLevelCount; ++i) {
    test.npcr_critical[i] = npcr_critical(max_value, sums.samples, kSignificanceLevels[i]);
    test.uaci_critical[i] = uaci_critical(max_value, sums.samples, kSignificanceLevels[i]);
    test.npcr_pass[i] = test.npcr >= test.npcr_critical[i];
    test.uaci_pass[i] = test.uaci_critical[i].contains(test.uaci);
  }
  return test;
}

}  // namespace medcrypt::metrics
