#include "nn/noise.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "metrics/channel.hpp"
#include "metrics/image_compare.hpp"

namespace medcrypt::nn {

std::vector<NoiseSpec> paper_noises() {
  return {{Noise::kSaltPepper, 0.05}, {Noise::kSpeckle, 0.01}, {Noise::kPoisson, 0}, {Noise::kGaussian, 0.01}};
}

std::string describe(const NoiseSpec& n) {
  switch (n.kind) {
    case Noise::kSaltPepper: return fmt::format("salt-and-pepper (amount {:.4g})", n.amount);
    case Noise::kSpeckle: return fmt::format("speckle (variance {:.4g})", n.amount);
    case Noise::kPoisson:
      return n.amount > 0 ? fmt::format("poisson ({:.4g} counts at full scale)", n.amount) : "poisson (full-scale counts)";
    case Noise::kGaussian: return fmt::format("gaussian (variance {:.4g})", n.amount);
  }
  return "?";
}

image::Image add_noise(const image::Image& image, const NoiseSpec& n, std::uint64_t seed) {
  image::Image out = image;
  const image::Geometry& g = image.geometry();
  const double max = g.max_value();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, std::sqrt(n.amount));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (std::size_t i = 0; i < g.sample_count(); ++i) {
    const double x = metrics::sample_value(image.word(i), g) / max;
    double y = x;
    switch (n.kind) {
      case Noise::kGaussian: y = x + normal(rng); break;
      case Noise::kSpeckle: y = x + x * normal(rng); break;
      case Noise::kSaltPepper: {
        if (uniform(rng) < n.amount) y = uniform(rng) < 0.5 ? 0.0 : 1.0;
        break;
      }
      case Noise::kPoisson: {
        const double counts = n.amount > 0 ? n.amount : max;
        y = x > 0 ? static_cast<double>(std::poisson_distribution<long>(x * counts)(rng)) / counts : 0.0;
        break;
      }
    }
    out.set_word(i, metrics::stored_word(static_cast<std::uint32_t>(std::lround(std::clamp(y, 0.0, 1.0) * max)), g));
  }
  return out;
}

Result<Noise> parse_noise(const std::string& name) {
  if (name == "salt-and-pepper") return Noise::kSaltPepper;
  if (name == "speckle") return Noise::kSpeckle;
  if (name == "poisson") return Noise::kPoisson;
  if (name == "gaussian") return Noise::kGaussian;
  return make_error(ErrorCode::kUsage, "noise '" + name + "': salt-and-pepper, speckle, poisson or gaussian");
}

Result<NoiseSpec> calibrate_noise(const std::vector<image::Image>& images, Noise kind, double target_ssim,
                                  std::uint64_t seed) {
  if (images.empty()) return make_error(ErrorCode::kUsage, "calibrate: no images");
  auto mean_ssim = [&](double level) -> Result<double> {
    double sum = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
      const image::Image noisy = add_noise(images[i], {kind, level}, seed * 1000003 + i);
      MEDCRYPT_ASSIGN_OR_RETURN(metrics::ImageComparison c, metrics::compare_images(images[i], noisy));
      sum += c.overall.ssim;
    }
    return sum / static_cast<double>(images.size());
  };
  // SSIM falls as the level grows, except for poisson, where the level is a photon count.
  double lo = std::log(kind == Noise::kSaltPepper ? 1e-6 : kind == Noise::kPoisson ? 1e-3 : 1e-6);
  double hi = std::log(kind == Noise::kSaltPepper ? 1.0 : kind == Noise::kPoisson ? 1e6 : 1e4);
  const bool rising = kind == Noise::kPoisson;
  for (int i = 0; i < 24; ++i) {
    const double mid = (lo + hi) / 2;
    MEDCRYPT_ASSIGN_OR_RETURN(double ssim, mean_ssim(std::exp(mid)));
    ((ssim > target_ssim) != rising ? lo : hi) = mid;
  }
  return NoiseSpec{kind, std::exp((lo + hi) / 2)};
}

}  // namespace medcrypt::nn
