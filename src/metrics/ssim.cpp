#include "metrics/ssim.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "core/vector_clones.hpp"

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
[[gnu::always_inline]] inline void filter_row(const double* __restrict in, double* __restrict out, std::size_t n,
                                              const std::array<double, kSsimRadius + 1>& weights) {
  const auto w = weights;  // a local copy, which stores to out cannot change
  for (std::size_t c = 0; c < n; ++c) {
    const double* x = in + c + kSsimRadius;
    out[c] = w[0] * x[0] + w[1] * (x[-1] + x[1]) + w[2] * (x[-2] + x[2]) + w[3] * (x[-3] + x[3]) +
             w[4] * (x[-4] + x[4]) + w[5] * (x[-5] + x[5]);
  }
}

// The same down the columns of the ring, for the four quantities at once, and SSIM from them into `map`:
// rows[k] holds the horizontally filtered row centre + k - radius, quantity q at q * n. Written so that two
// equal images give exactly 1 however the compiler fuses multiply-adds: the denominators are the numerators
// plus terms that are exactly 0 for equal images (the means' difference, and E[a^2 + b^2] - 2 E[ab]).
[[gnu::always_inline]] inline void column_ssim(const std::array<const double*, kTaps>& rows, double* __restrict map,
                                               std::size_t n, const std::array<double, kSsimRadius + 1>& weights,
                                               double c1, double c2) {
  const auto w = weights;
  const double *__restrict r0 = rows[0], *__restrict r1 = rows[1], *__restrict r2 = rows[2], *__restrict r3 = rows[3],
                           *__restrict r4 = rows[4], *__restrict r5 = rows[5], *__restrict r6 = rows[6],
                           *__restrict r7 = rows[7], *__restrict r8 = rows[8], *__restrict r9 = rows[9],
                           *__restrict r10 = rows[10];
  auto filtered = [&](std::size_t i) {
    return w[0] * r5[i] + w[1] * (r4[i] + r6[i]) + w[2] * (r3[i] + r7[i]) + w[3] * (r2[i] + r8[i]) +
           w[4] * (r1[i] + r9[i]) + w[5] * (r0[i] + r10[i]);
  };
  for (std::size_t c = 0; c < n; ++c) {
    const double mu_a = filtered(c), mu_b = filtered(n + c), e_squares = filtered(2 * n + c);
    const double e_ab = filtered(3 * n + c);
    const double means = mu_a * mu_b;
    const double difference = mu_a - mu_b;
    const double luminance = 2 * means + c1;                            // 2 mu_a mu_b + c1
    const double contrast = 2 * (e_ab - means) + c2;                    // 2 cov + c2
    const double luminance_norm = luminance + difference * difference;  // mu_a^2 + mu_b^2 + c1
    const double contrast_norm = contrast + ((e_squares - 2 * e_ab) - difference * difference);
    map[c] = luminance * contrast / (luminance_norm * contrast_norm);    // var_a + var_b + c2 above
  }
}

// The sum of the values in 8 interleaved partial sums, which the compiler can keep in one vector (a single
// running sum is a chain of dependent additions it may not reorder).
[[gnu::always_inline]] inline double sum(const std::vector<double>& values) {
  std::array<double, 8> lanes{};
  std::size_t i = 0;
  for (; i + lanes.size() <= values.size(); i += lanes.size()) {
    for (std::size_t l = 0; l < lanes.size(); ++l) lanes[l] += values[i + l];
  }
  double total = 0;
  for (; i < values.size(); ++i) total += values[i];
  for (const double lane : lanes) total += lane;
  return total;
}

// Filters each row horizontally once into a ring of the last 11 rows, then each output row vertically
// from the ring: two passes of 6 multiplications per value, and memory for 11 rows only. Each pass is a
// loop over independent pixels, which the compiler vectorises (with AVX2 or AVX-512 where the CPU has them).
MEDCRYPT_VECTOR_CLONES
double frame_ssim(const std::uint16_t* a, const std::uint16_t* b, std::size_t width, std::size_t height, double c1,
                  double c2) {
  const auto w = gaussian_half_kernel();
  const std::size_t out_width = width - 2 * kSsimRadius;
  std::vector<double> inputs(kQuantities * width);
  std::vector<double> ring(std::size_t{kTaps} * kQuantities * out_width);
  std::vector<double> map(out_width);
  auto ring_row = [&](std::size_t y, int q) { return ring.data() + ((y % kTaps) * kQuantities + q) * out_width; };

  double total = 0;
  for (std::size_t y = 0; y < height; ++y) {
    double* __restrict in_a = inputs.data();
    double* __restrict in_b = in_a + width;
    double* __restrict in_squares = in_b + width;
    double* __restrict in_ab = in_squares + width;
    const std::uint16_t* __restrict row_a = a + y * width;
    const std::uint16_t* __restrict row_b = b + y * width;
    for (std::size_t x = 0; x < width; ++x) {
      const double va = row_a[x], vb = row_b[x];
      in_a[x] = va;
      in_b[x] = vb;
      in_squares[x] = va * va + vb * vb;
      in_ab[x] = va * vb;
    }
    for (int q = 0; q < kQuantities; ++q) filter_row(inputs.data() + q * width, ring_row(y, q), out_width, w);
    if (y < 2 * kSsimRadius) continue;

    const std::size_t centre = y - kSsimRadius;
    std::array<const double*, kTaps> rows;
    for (int k = 0; k < kTaps; ++k) rows[k] = ring_row(centre + k - kSsimRadius, 0);
    column_ssim(rows, map.data(), out_width, w, c1, c2);
    total += sum(map);
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
