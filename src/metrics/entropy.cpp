#include "metrics/entropy.hpp"

#include <cmath>

namespace medcrypt::metrics {

double shannon_entropy(std::span<const std::uint64_t> histogram) {
  std::uint64_t total = 0;
  for (std::uint64_t c : histogram) total += c;
  if (total == 0) return 0;
  const double n = static_cast<double>(total);
  double h = 0;
  for (std::uint64_t c : histogram) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

}  // namespace medcrypt::metrics
