// Structural similarity (Wang, Bovik, Sheikh and Simoncelli 2004) computed as scikit-image's
// structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=F):
// local means, variances and covariance under an 11-tap Gaussian window (sigma 1.5, truncated at 3.5
// sigma), K1 = 0.01, K2 = 0.03, and the mean of the SSIM map over the pixels whose window lies inside the
// image (5 pixels cropped off each side, so the border mode never matters). Several frames: the mean of
// the frames' SSIM.
#pragma once

#include <cstdint>

#include "metrics/channel.hpp"

namespace medcrypt::metrics {

inline constexpr double kSsimSigma = 1.5;
inline constexpr int kSsimRadius = 5;  // int(3.5 * sigma + 0.5), as scipy.ndimage truncates the kernel
inline constexpr double kSsimK1 = 0.01;
inline constexpr double kSsimK2 = 0.03;

// a and b must have the same width, height and frames. NaN when a frame is smaller than 11x11 (where
// scikit-image refuses).
double ssim(const Channel& a, const Channel& b, std::uint32_t data_range);

}  // namespace medcrypt::metrics
