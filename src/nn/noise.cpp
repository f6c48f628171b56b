#include "nn/noise.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "metrics/channel.hpp"

namespace medcrypt::nn {

std::vector<NoiseSpec> paper_noises() {
  return {{Noise::kSaltPepper, 0.05}, {Noise::kSpeckle, 0.01}, {Noise::kPoisson, 0}, {Noise::kGaussian, 0.01}};
}

std::string describe(const NoiseSpec& n) {
  switch (n.kind) {
    case Noise::kSaltPepper: return fmt::format("salt-and-pepper (amount {})", n.amount);
    case Noise::kSpeckle: return fmt::format("speckle (variance {})", n.amount);
    case Noise::kPoisson: return "poisson (full-scale counts)";
    case Noise::kGaussian: return fmt::format("gaussian (variance {})", n.amount);
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
      case Noise::kPoisson: y = std::poisson_distribution<long>(x * max)(rng) / max; break;
    }
    out.set_word(i, metrics::stored_word(static_cast<std::uint32_t>(std::lround(std::clamp(y, 0.0, 1.0) * max)), g));
  }
  return out;
}

}  // namespace medcrypt::nn
