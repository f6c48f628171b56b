// Differential figures between two images, as percentages:
//   NPCR = 100 * (samples that differ) / N,   UACI = 100 * mean(|a - b|) / F,   F = 2^bits - 1,
// with the critical values of Wu, Noonan and Agaian (2011), for N samples compared and level alpha:
//   NPCR*  = (F - z_alpha sqrt(F / N)) / (F + 1)             pass when NPCR >= NPCR*
//   UACI*  = mu -/+ z_{alpha/2} sigma                         pass when UACI lies inside
//   mu = (F + 2) / (3F + 3),  sigma^2 = (F + 2)(F^2 + 2F + 3) / (18 (F + 1)^2 N F)
// (512x512 8-bit, alpha 0.05: NPCR* = 99.5893%, UACI* = 33.3730%..33.5541%). These say whether two cipher
// images differ as much as two independent uniform random images would; nothing more.
#pragma once

#include <cstdint>

#include "metrics/difference.hpp"
#include "metrics/significance.hpp"

namespace medcrypt::metrics {

double npcr_critical(std::uint32_t max_value, std::uint64_t samples, double alpha);   // percent
Interval uaci_critical(std::uint32_t max_value, std::uint64_t samples, double alpha);  // percent

struct DifferentialTest {
  double npcr = 0;  // percent
  double uaci = 0;  // percent
  PerLevel<double> npcr_critical{};
  PerLevel<Interval> uaci_critical{};
  PerLevel<bool> npcr_pass{};
  PerLevel<bool> uaci_pass{};
};

DifferentialTest differential_test(const DifferenceSums& sums, std::uint32_t max_value);

}  // namespace medcrypt::metrics
