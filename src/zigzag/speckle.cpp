#include "zigzag/speckle.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "metrics/channel.hpp"

namespace medcrypt::zigzag {
namespace {

Status check_image(const image::Geometry& g) {
  if (g.floating_point() || g.bits_stored > 16 || g.bits_allocated > 16) {
    return make_error(ErrorCode::kUnsupported, "speckle: only integer samples of 1 to 16 bits are supported");
  }
  if (g.is_signed) {
    // A multiplicative noise scales with the value; a signed sample's value (CT numbers) is not an
    // intensity from zero, and its offset-binary level would be speckled around the middle of the range.
    return make_error(ErrorCode::kUnsupported, "speckle: signed samples have no multiplicative noise model");
  }
  return {};
}

// log(eta) ~ N(-s^2 / 2, s^2) with s^2 = log(1 + variance): eta has mean 1 and the variance asked for.
double log_sigma(double variance) { return std::sqrt(std::log1p(variance)); }

// Calls fn(first sample index, stride) for each channel of each frame.
template <typename Fn>
void for_each_plane(const image::Geometry& g, Fn&& fn) {
  for (std::uint32_t f = 0; f < g.frames; ++f) {
    for (std::uint32_t c = 0; c < g.samples; ++c) fn(std::size_t{f} * g.pixels_per_frame() * g.samples + c, g.samples);
  }
}

}  // namespace

Status check_speckle_params(const SpeckleParams& p) {
  if (!(p.variance > 0 && p.variance <= 4)) return make_error(ErrorCode::kUsage, "speckle: the variance must lie in (0, 4]");
  if (!(p.threshold > 0 && p.threshold <= 10)) {
    return make_error(ErrorCode::kUsage, "speckle: the threshold must lie in (0, 10] noise deviations");
  }
  return transform::check_ripplet_params(p.ripplet);
}

Result<image::Image> add_speckle(const image::Image& image, const SpeckleParams& params, std::uint64_t seed) {
  MEDCRYPT_TRY(check_speckle_params(params));
  const image::Geometry& g = image.geometry();
  MEDCRYPT_TRY(check_image(g));
  image::Image out = image;
  const double s = log_sigma(params.variance), max = g.max_value();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> log_eta(-s * s / 2, s);
  for (std::size_t i = 0; i < g.sample_count(); ++i) {
    const double level = metrics::sample_value(image.word(i), g);
    // (f + 1) eta - 1: the +1 keeps black speckled (log 0 has no noise to add) and matches the removal's log.
    const double noisy = std::clamp(std::round((level + 1) * std::exp(log_eta(rng)) - 1), 0.0, max);
    out.set_word(i, metrics::stored_word(static_cast<std::uint32_t>(noisy), g));
  }
  return out;
}

Result<image::Image> remove_speckle(const image::Image& noisy, const SpeckleParams& params) {
  MEDCRYPT_TRY(check_speckle_params(params));
  const image::Geometry& g = noisy.geometry();
  MEDCRYPT_TRY(check_image(g));
  MEDCRYPT_ASSIGN_OR_RETURN(const transform::RippletTransform ripplet,
                            transform::RippletTransform::create(g.height, g.width, params.ripplet));
  const double s = log_sigma(params.variance), max = g.max_value();
  image::Image out = noisy;
  Status status;
  const std::vector<double>& gains = ripplet.noise_gains();
  for_each_plane(g, [&](std::size_t first, std::size_t stride) {
    if (!status) return;
    std::vector<double> log_image(g.pixels_per_frame());
    for (std::size_t p = 0; p < log_image.size(); ++p) {
      log_image[p] = std::log(double(metrics::sample_value(noisy.word(first + p * stride), g)) + 1);
    }
    auto estimate = ripplet.filter(log_image, [&](std::size_t band, int scale, std::span<double> values) {
      if (scale == 0) return;  // the low-pass band holds the image's mean and slow shading
      const double cut = params.threshold * s * gains[band];
      for (double& c : values) c = std::abs(c) < cut ? 0 : c;
    });
    if (!estimate) {
      status = estimate.error();
      return;
    }
    for (std::size_t p = 0; p < estimate->size(); ++p) {
      // + s^2/2: the low-pass band kept log(eta)'s mean, -s^2/2.
      const double level = std::clamp(std::round(std::exp((*estimate)[p] + s * s / 2) - 1), 0.0, max);
      out.set_word(first + p * stride, metrics::stored_word(static_cast<std::uint32_t>(level), g));
    }
  });
  if (!status) return status.error();
  return out;
}

}  // namespace medcrypt::zigzag
