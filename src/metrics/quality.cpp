#include "metrics/quality.hpp"

#include <cmath>
#include <limits>

namespace medcrypt::metrics {

ErrorMeasures error_measures(const DifferenceSums& sums, std::uint32_t max_value) {
  ErrorMeasures e;
  const long double n = static_cast<long double>(sums.samples);
  e.mse = static_cast<double>(sums.squared / n);
  e.rmse = std::sqrt(e.mse);
  e.mae = static_cast<double>(static_cast<long double>(sums.absolute) / n);
  const double f = max_value;
  e.psnr = e.mse == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(f * f / e.mse);
  return e;
}

}  // namespace medcrypt::metrics
