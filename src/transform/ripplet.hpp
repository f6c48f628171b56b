// The discrete ripplet transform type I (Xu, Yang and Wu, "Ripplet: a new transform for image processing",
// J. Vis. Commun. Image R. 21, 2010), which paper 001 uses to add and remove speckle noise.
//
// A ripplet-I is a curvelet whose scaling law is free: at scale a its frequency support is a polar wedge of
// radial extent ~1/a and angular width ~c * a^(1 - 1/d), so its width ~ length^d. d = 2 gives the
// curvelet's parabolic scaling, d = 1 a wavelet-like one; the support c widens (c > 1) or narrows the
// wedges. This is the frequency-domain construction, not decimated: each band is a full-size real image,
//   band(j, l) = IDFT( DFT(f) * W_j(|k|) * V_jl(angle(k)) ),
// with smooth windows whose squares sum to one over the whole spectrum, so the transform is a Parseval
// (tight) frame and the inverse, f = sum over bands of IDFT( DFT(band) * W_j * V_jl ), is exact.
//
// The tiling (every choice where the ripplet papers leave room; an independent numpy computation of the
// same tiling lives in tests/transform/ripplet_reference.py):
//  - frequencies k = (kx / cols, ky / rows) in cycles per sample, |k| <= 0.5 * sqrt(2);
//  - J detail scales; scale j (1 = coarsest) passes |k| between R_j and 2 R_(j+1), R_j = 2^(j - J - 3), so
//    the finest scale rises from |k| = 1/8 and holds all of |k| >= 1/4 (the top octave and the corners):
//    W_j = sqrt(phi_(j+1)^2 - phi_j^2) with phi_j(r) = v(r / R_j) and phi_(J+1) = 1; the low-pass band is
//    phi_1. v is 1 up to 1, 0 from 2, cos(pi/2 * beta(t - 1)) between, beta Meyer's polynomial
//    x^4 (35 - 84x + 70x^2 - 20x^3);
//  - scale j has n_j = max(1, round(4 / c * 2^floor((j - 1)(1 - 1/d)))) wedges over [0, pi) (a wedge and its
//    mirror through the origin form one band, so every band is real), centred at l pi / n_j;
//    V_jl(theta) = cos(pi/2 * beta(|t|)) for |t| < 1, t = (theta - l pi / n_j) / (pi / n_j) wrapped to
//    [-n_j/2, n_j/2): neighbours overlap by one wedge and their squares sum to one;
//  - on an even side's Nyquist row or column, where k and its alias -k meet, every window is the root mean
//    square of its values at (kx, ky) and (kx, -ky), so that each band is exactly real.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace medcrypt::transform {

struct RippletParams {
  double support = 1;  // c: wedge width multiplier, in [0.25, 4]
  double degree = 2;   // d: width ~ length^d, in [1, 4]
  int scales = 0;      // J detail scales, 1..8; 0: floor(log2(shorter side)) - 3, clamped to 1..6
};

// Fails (kUsage, one line) on a parameter out of range.
Status check_ripplet_params(const RippletParams& params);

struct RippletBand {
  int scale = 0;  // 0: the low-pass band; 1..J detail scales, coarsest first
  int angle = 0;  // wedge index within the scale
  std::vector<double> values;  // rows x cols, row-major
};

struct RippletCoefficients {
  std::uint32_t rows = 0, cols = 0;
  std::vector<RippletBand> bands;  // the low-pass band, then each scale's wedges in angle order
};

class RippletTransform {
 public:
  // Fails (kUsage) on an empty frame or parameters out of range.
  static Result<RippletTransform> create(std::uint32_t rows, std::uint32_t cols, const RippletParams& params = {});

  std::uint32_t rows() const;
  std::uint32_t cols() const;
  int scales() const;
  const std::vector<int>& wedges() const;  // n_j for j = 1..J
  std::size_t band_count() const;          // 1 + sum of n_j
  // Per band, the standard deviation of its coefficients for white noise of unit variance:
  // sqrt(sum over the whole spectrum of the window squared / sample count). Thresholds scale with it.
  const std::vector<double>& noise_gains() const;

  // forward() holds every band at once: it refuses (kUsage) more than this many bytes of coefficients.
  static constexpr std::uint64_t kMaxCoefficientBytes = std::uint64_t{1} << 30;

  // frame: rows x cols samples, row-major.
  Result<RippletCoefficients> forward(std::span<const double> frame) const;
  // The frame whose transform the coefficients are (exactly, for unaltered coefficients); any real
  // coefficients of the right layout are accepted (the frame's adjoint reconstruction).
  Result<std::vector<double>> inverse(const RippletCoefficients& coefficients) const;

  // inverse(forward(frame)) with each band passed through edit(band index, scale, values) on the way,
  // one band at a time per thread: memory stays a few frames whatever the band count. edit runs on
  // several threads at once (on different bands) and must not throw.
  using BandEdit = std::function<void(std::size_t band, int scale, std::span<double> values)>;
  Result<std::vector<double>> filter(std::span<const double> frame, const BandEdit& edit) const;

 private:
  struct Plan;
  explicit RippletTransform(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}
  std::shared_ptr<const Plan> plan_;
};

}  // namespace medcrypt::transform
