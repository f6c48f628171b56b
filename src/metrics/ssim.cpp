#include "metrics/ssim.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace medcrypt::metrics {
namespace {

constexpr int kTaps = 2 * kSsimRadius + 1;
// a, b, a*a + b*b, a*b: SSIM needs the variances only as their sum, so a*a and b*b share one filter.
constexpr int kQuantities = 4;

// Weights w[0..radius] of the symmetric kernel, normalised like scipy.ndimage's _gaussian_kernel1d.
std::array<double, kSsimRadius + 1> gaussian_half_kernel() {
  std::array<double, kSsimRadius + 1> w{};
  double total = 0;
  for (int k = 0; k <= kSsimRadius; ++k) {
    w[k] = std::exp(-0.5 * k * k / (kSsimSigma * kSsimSigma));
    total += k == 0 ? w[k] : 2 * w[k];
  }
  for (double& x : w) x /= total;
  return w;
}

// out[c] = sum_k w[|k|] in[c + radius + k], for c in [0, n): the window centred at in[c + radius].
void filter_row(const double* in, double* out, std::size_t n, const std::array<double, kSsimRadius + 1>& w) {
  for (std::size_t c = 0; c < n; ++c) {
    const double* x = in + c + kSsimRadius;
    out[c] = w[0] * x[0] + w[1] * (x[-1] + x[1]) + w[2] * (x[-2] + x[2]) + w[3] * (x[-3] + x[3]) +
             w[4] * (x[-4] + x[4]) + w[5] * (x[-5] + x[5]);
  }
}

// Filters each row horizontally once into a ring of the last 11 rows, then each output row vertically
// from the ring: two passes of 6 multiplications per value, and memory for 11 rows only.
double frame_ssim(const std::uint16_t* a, const std::uint16_t* b, std::size_t width, std::size_t height,
                  double c1, double c2) {
  const auto w = gaussian_half_kernel();
  const std::size_t out_width = width - 2 * kSsimRadius;
  std::vector<double> inputs(kQuantities * width);
  std::vector<double> ring(std::size_t{kTaps} * kQuantities * out_width);
  std::vector<double> local(kQuantities * out_width);
  auto ring_row = [&](std::size_t y, int q) { return ring.data() + ((y % kTaps) * kQuantities + q) * out_width; };

  double total = 0;
  for (std::size_t y = 0; y < height; ++y) {
    double* in_a = inputs.data();
    double* in_b = in_a + width;
    double* in_squares = in_b + width;
    double* in_ab = in_squares + width;
    for (std::size_t x = 0; x < width; ++x) {
      const double va = a[y * width + x], vb = b[y * width + x];
      in_a[x] = va;
      in_b[x] = vb;
      in_squares[x] = va * va + vb * vb;
      in_ab[x] = va * vb;
    }
    for (int q = 0; q < kQuantities; ++q) filter_row(inputs.data() + q * width, ring_row(y, q), out_width, w);
    if (y < 2 * kSsimRadius) continue;

    const std::size_t centre = y - kSsimRadius;
    for (int q = 0; q < kQuantities; ++q) {
      std::array<const double*, kTaps> rows;
      for (int k = 0; k < kTaps; ++k) rows[k] = ring_row(centre + k - kSsimRadius, q);
      double* out = local.data() + q * out_width;
      for (std::size_t c = 0; c < out_width; ++c) {
        out[c] = w[0] * rows[5][c] + w[1] * (rows[4][c] + rows[6][c]) + w[2] * (rows[3][c] + rows[7][c]) +
                 w[3] * (rows[2][c] + rows[8][c]) + w[4] * (rows[1][c] + rows[9][c]) +
                 w[5] * (rows[0][c] + rows[10][c]);
      }
    }
    const double* mu_a = local.data();
    const double* mu_b = mu_a + out_width;
    const double* e_squares = mu_b + out_width;
    const double* e_ab = e_squares + out_width;
    double row_sum = 0;
    for (std::size_t c = 0; c < out_width; ++c) {
      const double mean_squares = mu_a[c] * mu_a[c] + mu_b[c] * mu_b[c];
      const double variances = e_squares[c] - mean_squares;
      const double cov = e_ab[c] - mu_a[c] * mu_b[c];
      row_sum += (2 * mu_a[c] * mu_b[c] + c1) * (2 * cov + c2) / ((mean_squares + c1) * (variances + c2));
    }
    total += row_sum;
  }
  return total / static_cast<double>(out_width * (height - 2 * kSsimRadius));
}

}  // namespace

double ssim(const Channel& a, const Channel& b, std::uint32_t data_range) {
  if (a.width < kTaps || a.height < kTaps || a.frames == 0) return std::numeric_limits<double>::quiet_NaN();
  const double c1 = (kSsimK1 * data_range) * (kSsimK1 * data_range);
  const double c2 = (kSsimK2 * data_range) * (kSsimK2 * data_range);
  double sum = 0;
  for (std::uint32_t f = 0; f < a.frames; ++f) {
    sum += frame_ssim(a.row(f, 0), b.row(f, 0), a.width, a.height, c1, c2);
  }
  return sum / a.frames;
}

}  // namespace medcrypt::metrics
