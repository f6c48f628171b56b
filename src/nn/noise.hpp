// Noise models for the denoising evaluation (paper 002, Table 6), on values in [0, 1], clipped back to
// [0, 1]; the definitions of skimage.util.random_noise:
//   gaussian        x + N(0, variance)                          (variance 0.01)
//   salt-and-pepper a share `amount` of samples set to 0 or 1, half each   (amount 0.05)
//   speckle         x + x * N(0, variance)                      (variance 0.01)
//   poisson         Poisson(x * L) / L: L photon counts at full scale (amount; 0: L = 2^bits - 1)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::nn {

enum class Noise { kSaltPepper, kSpeckle, kPoisson, kGaussian };

struct NoiseSpec {
  Noise kind = Noise::kGaussian;
  double amount = 0.01;  // the variance, the salt-and-pepper share, or poisson's full-scale counts
};

std::vector<NoiseSpec> paper_noises();  // the four of Table 6 with the parameters above
std::string describe(const NoiseSpec& noise);  // "gaussian (variance 0.01)"

// A noisy copy of `image` (every sample, each channel and frame), reproducible from `seed`.
image::Image add_noise(const image::Image& image, const NoiseSpec& noise, std::uint64_t seed);

// The level of `kind` at which the noisy images' mean SSIM against the clean ones is `target_ssim`
// (paper 002's Table 6 states its noisy columns, not its levels): bisection on the level's logarithm,
// image i noised with seed `seed` * 1000003 + i at every trial, as `medcrypt eval denoise` does.
Result<NoiseSpec> calibrate_noise(const std::vector<image::Image>& images, Noise kind, double target_ssim,
                                  std::uint64_t seed);
// "salt-and-pepper", "speckle", "poisson", "gaussian"
Result<Noise> parse_noise(const std::string& name);

}  // namespace medcrypt::nn
