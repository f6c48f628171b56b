// How close a decrypted image is to the original: MSE, RMSE, MAE, and PSNR = 10 log10(F^2 / MSE) in dB
// with F = 2^bits - 1. Identical images have MSE 0 and an infinite PSNR (reported as null in JSON).
#pragma once

#include <cstdint>

#include "metrics/difference.hpp"

namespace medcrypt::metrics {

struct ErrorMeasures {
  double mse = 0;
  double rmse = 0;
  double mae = 0;
  double psnr = 0;  // +infinity when mse == 0
};

ErrorMeasures error_measures(const DifferenceSums& sums, std::uint32_t max_value);

}  // namespace medcrypt::metrics
