// Paper 001's privacy pre-processing: speckle noise added to the image in the ripplet domain before
// encryption, removed after decryption by filtering ripplet coefficients and inverting (its eq. 11).
//
// Speckle is multiplicative: g = f * eta, eta log-normal with mean 1 and the given variance (fully
// developed speckle; the paper's distribution is lost in conversion). The log turns it additive,
// log g = log f + log eta, which is how the paper handles it. Adding the ripplet coefficients of log eta
// to those of log f and inverting gives exactly log f + log eta (the transform is linear and exact,
// tests/transform), so the noise is drawn and applied in the image domain: the same image, two
// transforms cheaper.
//
// Removal: the ripplet transform of log(g + 1), every detail coefficient below `threshold` times its
// band's noise deviation (the known log-noise deviation times the band's gain) set to zero, the low-pass
// band kept, the inverse, the log-noise mean restored, exp - 1. Lossy: the result is not the original,
// and the scheme that uses it says so.
//
// Samples are levels in [0, 2^bits - 1], written back rounded and clipped; each channel of each frame is
// filtered on its own, one ripplet band at a time. Unsigned integer samples of 1 to 16 bits; signed
// samples (no intensity scale for a multiplicative noise), floating-point and 32-bit samples are refused.
#pragma once

#include <cstdint>

#include "core/result.hpp"
#include "image/image.hpp"
#include "transform/ripplet.hpp"

namespace medcrypt::zigzag {

struct SpeckleParams {
  double variance = 0.04;              // of eta; 0 < variance <= 4
  transform::RippletParams ripplet{};  // the ripplet's c, d and scales (paper 001's "two constraints")
  double threshold = 3;                // in noise deviations; 0 < threshold <= 10
};

Status check_speckle_params(const SpeckleParams& params);

// The noisy image: the same geometry, every sample multiplied by its own draw of eta (seeded: the
// recipient never needs the draws).
Result<image::Image> add_speckle(const image::Image& image, const SpeckleParams& params, std::uint64_t seed);

// The despeckled estimate of the image before add_speckle.
Result<image::Image> remove_speckle(const image::Image& noisy, const SpeckleParams& params);

}  // namespace medcrypt::zigzag
