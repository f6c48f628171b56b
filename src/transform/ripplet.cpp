#include "transform/ripplet.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "core/parallel.hpp"

namespace medcrypt::transform {
namespace {

// FFTW's planner is not thread-safe (executing a plan is).
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// Meyer's polynomial: 0 at 0, 1 at 1, beta(x) + beta(1 - x) = 1, so cos^2 and sin^2 of pi/2 beta pair up.
double beta(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * x * x * (35 - 84 * x + 70 * x * x - 20 * x * x * x);
}

// 1 up to t = 1, 0 from t = 2, smooth between.
double v(double t) {
  if (t <= 1) return 1;
  if (t >= 2) return 0;
  return std::cos(std::numbers::pi / 2 * beta(t - 1));
}

int default_scales(std::uint32_t rows, std::uint32_t cols) {
  const int log2_side = static_cast<int>(std::floor(std::log2(double(std::min(rows, cols)))));
  return std::clamp(log2_side - 3, 1, 6);
}

}  // namespace

Status check_ripplet_params(const RippletParams& params) {
  if (!(params.support >= 0.25 && params.support <= 4)) {
    return make_error(ErrorCode::kUsage, fmt::format("ripplet: the support c must lie in [0.25, 4], got {}", params.support));
  }
  if (!(params.degree >= 1 && params.degree <= 4)) {
    return make_error(ErrorCode::kUsage, fmt::format("ripplet: the degree d must lie in [1, 4], got {}", params.degree));
  }
  if (params.scales < 0 || params.scales > 8) {
    return make_error(ErrorCode::kUsage, fmt::format("ripplet: scales must lie in 0..8, got {}", params.scales));
  }
  return {};
}

struct RippletTransform::Plan {
  struct Window {  // a band's nonzero window values over the half spectrum
    std::vector<std::uint32_t> at;
    std::vector<double> weight;
  };
  std::uint32_t rows = 0, cols = 0, half_cols = 0;
  int scales = 0;
  std::vector<int> wedges;
  std::vector<Window> windows;  // band order: low-pass, then each scale's wedges
  std::vector<std::pair<int, int>> band_ids;
  std::vector<double> noise_gains;
  fftw_plan r2c = nullptr, c2r = nullptr;

  Plan() = default;
  Plan(const Plan&) = delete;  // owns the FFTW plans
  Plan& operator=(const Plan&) = delete;

  std::size_t spectrum_size() const { return std::size_t{rows} * half_cols; }
  std::size_t frame_size() const { return std::size_t{rows} * cols; }

  using Complex = std::complex<double>;  // layout-compatible with fftw_complex

  // Band b of a frame whose spectrum (already divided by the sample count) is given, into `values`;
  // `scratch` is a spectrum-sized buffer.
  void band(const std::vector<Complex>& spectrum, std::size_t b, std::vector<Complex>& scratch, double* values) const {
    std::fill(scratch.begin(), scratch.end(), Complex{});
    const Window& w = windows[b];
    for (std::size_t i = 0; i < w.at.size(); ++i) scratch[w.at[i]] = spectrum[w.at[i]] * w.weight[i];
    fftw_execute_dft_c2r(c2r, reinterpret_cast<fftw_complex*>(scratch.data()), values);
  }

  // r2c of `values` into `spectrum`. The plan preserves its input (FFTW_PRESERVE_INPUT), so the const_cast
  // only meets FFTW's non-const signature.
  void r2c_of(std::span<const double> values, Complex* spectrum) const {
    fftw_execute_dft_r2c(r2c, const_cast<double*>(values.data()), reinterpret_cast<fftw_complex*>(spectrum));
  }

  // Band b's share of the inverse: its values' spectrum under its window (nonzeros only), into `part`.
  void share(std::span<const double> values, std::size_t b, std::vector<Complex>& scratch, std::vector<Complex>& part) const {
    r2c_of(values, scratch.data());
    const Window& w = windows[b];
    for (std::size_t i = 0; i < w.at.size(); ++i) part[i] = scratch[w.at[i]] * w.weight[i];
  }

  // The frame whose shares these are: summed in band order, so that the result does not depend on the
  // thread count.
  std::vector<double> sum_shares(const std::vector<std::vector<Complex>>& parts) const {
    std::vector<Complex> sum(spectrum_size());
    for (std::size_t b = 0; b < parts.size(); ++b) {
      const Window& w = windows[b];
      for (std::size_t i = 0; i < w.at.size(); ++i) sum[w.at[i]] += parts[b][i];
    }
    const double scale = 1.0 / double(frame_size());  // FFTW's round trip multiplies by the sample count
    for (Complex& c : sum) c *= scale;
    std::vector<double> frame(frame_size());
    fftw_execute_dft_c2r(c2r, reinterpret_cast<fftw_complex*>(sum.data()), frame.data());
    return frame;
  }

  // Every band's share, sized before any worker starts (workers must not allocate: they cannot throw).
  std::vector<std::vector<Complex>> empty_shares() const {
    std::vector<std::vector<Complex>> parts(windows.size());
    for (std::size_t b = 0; b < parts.size(); ++b) parts[b].resize(windows[b].at.size());
    return parts;
  }

  Status check_frame(std::span<const double> frame) const {
    if (frame.size() == frame_size()) return {};
    return make_error(ErrorCode::kUsage, fmt::format("ripplet: expected a frame of {} samples, got {}", frame_size(), frame.size()));
  }

  // The frame's spectrum divided by the sample count.
  std::vector<Complex> spectrum_of(std::span<const double> frame) const {
    std::vector<Complex> spectrum(spectrum_size());
    r2c_of(frame, spectrum.data());
    for (Complex& c : spectrum) c /= double(frame_size());
    return spectrum;
  }

  ~Plan() {
    std::lock_guard lock(planner_mutex());
    if (r2c != nullptr) fftw_destroy_plan(r2c);
    if (c2r != nullptr) fftw_destroy_plan(c2r);
  }
};

Result<RippletTransform> RippletTransform::create(std::uint32_t rows, std::uint32_t cols, const RippletParams& params) {
  if (rows == 0 || cols == 0) return make_error(ErrorCode::kUsage, "ripplet: the frame is empty");
  if (std::uint64_t{rows} * cols > (std::uint64_t{1} << 28)) {
    return make_error(ErrorCode::kUsage, fmt::format("ripplet: expected at most 2^28 samples a frame, got {}x{}", cols, rows));
  }
  MEDCRYPT_TRY(check_ripplet_params(params));

  auto plan = std::make_shared<Plan>();
  plan->rows = rows;
  plan->cols = cols;
  plan->half_cols = cols / 2 + 1;
  plan->scales = params.scales != 0 ? params.scales : default_scales(rows, cols);
  const int J = plan->scales;
  for (int j = 1; j <= J; ++j) {
    // + 1e-9: (j - 1)(1 - 1/d) can land a rounding error below an integer (d = 1.25, j = 6 gives 0.99999...).
    const double n = 4 / params.support * std::exp2(std::floor((j - 1) * (1 - 1 / params.degree) + 1e-9));
    plan->wedges.push_back(std::max(1, static_cast<int>(std::lround(n))));
  }

  plan->band_ids.emplace_back(0, 0);
  for (int j = 1; j <= J; ++j) {
    for (int l = 0; l < plan->wedges[j - 1]; ++l) plan->band_ids.emplace_back(j, l);
  }
  plan->windows.resize(plan->band_ids.size());
  // The (band, weight) pairs of frequency (fx, fy), in cycles per sample.
  auto radius = [&](int j) { return 0.125 * std::exp2(j - J); };  // R_j
  auto weights = [&](double fx, double fy, std::vector<std::pair<std::size_t, double>>& out) {
    out.clear();
    const double r = std::hypot(fx, fy);
    double theta = std::atan2(fy, fx);
    if (theta < 0) theta += std::numbers::pi;
    if (theta >= std::numbers::pi) theta -= std::numbers::pi;
    std::size_t band = 0;
    out.emplace_back(band++, v(r / radius(1)));
    for (int j = 1; j <= J; ++j) {
      const double inner = v(r / radius(j));
      const double outer = j == J ? 1.0 : v(r / radius(j + 1));
      const double radial = std::sqrt(std::max(0.0, outer * outer - inner * inner));
      const int n = plan->wedges[j - 1];
      if (radial > 0 && n == 1) out.emplace_back(band, radial);
      if (radial > 0 && n > 1) {
        // Only the two wedges whose centres bracket theta reach it.
        const int below = static_cast<int>(std::floor(theta / (std::numbers::pi / n)));
        for (int l : {below % n, (below + 1) % n}) {
          double t = std::fmod(theta / (std::numbers::pi / n) - l + n / 2.0, double(n));
          if (t < 0) t += n;
          t -= n / 2.0;
          if (std::abs(t) < 1) out.emplace_back(band + l, radial * std::cos(std::numbers::pi / 2 * beta(std::abs(t))));
        }
      }
      band += n;
    }
  };
  std::vector<std::pair<std::size_t, double>> here, mirror;
  std::vector<double> merged(plan->band_ids.size());
  for (std::uint32_t y = 0; y < rows; ++y) {
    const double fy = (y <= rows / 2 ? double(y) : double(y) - rows) / rows;
    for (std::uint32_t x = 0; x < plan->half_cols; ++x) {
      const double fx = double(x) / cols;
      const auto at = static_cast<std::uint32_t>(std::size_t{y} * plan->half_cols + x);
      weights(fx, fy, here);
      if ((cols % 2 == 0 && x == cols / 2) || (rows % 2 == 0 && y == rows / 2)) {
        // A Nyquist frequency is its own alias's partner: (1/2, fy) pairs with (1/2, -fy), which the half
        // spectrum also holds, and (fx, 1/2) with the implied (-fx, -1/2) = (-fx, 1/2). Both get the root
        // mean square of the windows at (fx, fy) and (fx, -fy): the squares still sum to one, and the band
        // stays real with either alias.
        weights(fx, -fy, mirror);
        std::fill(merged.begin(), merged.end(), 0.0);
        for (auto [b, w] : here) merged[b] += w * w / 2;
        for (auto [b, w] : mirror) merged[b] += w * w / 2;
        here.clear();
        for (std::size_t b = 0; b < merged.size(); ++b) here.emplace_back(b, std::sqrt(merged[b]));
      }
      for (auto [b, w] : here) {
        if (w > 0) {
          plan->windows[b].at.push_back(at);
          plan->windows[b].weight.push_back(w);
        }
      }
    }
  }

  // The half spectrum holds columns 0 and (even cols) cols/2 once, every other column for itself and its
  // mirror.
  for (std::size_t b = 0; b < plan->windows.size(); ++b) {
    double sum = 0;
    const Plan::Window& w = plan->windows[b];
    for (std::size_t i = 0; i < w.at.size(); ++i) {
      const std::uint32_t x = w.at[i] % plan->half_cols;
      const bool single = x == 0 || (cols % 2 == 0 && x == cols / 2);
      sum += (single ? 1 : 2) * w.weight[i] * w.weight[i];
    }
    plan->noise_gains.push_back(std::sqrt(sum / double(plan->frame_size())));
  }

  {
    std::lock_guard lock(planner_mutex());
    double* real = fftw_alloc_real(plan->frame_size());
    fftw_complex* spectrum = fftw_alloc_complex(plan->spectrum_size());
    // Unaligned: every call brings its own vectors.
    plan->r2c = fftw_plan_dft_r2c_2d(int(rows), int(cols), real, spectrum, FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_PRESERVE_INPUT);
    plan->c2r = fftw_plan_dft_c2r_2d(int(rows), int(cols), spectrum, real, FFTW_ESTIMATE | FFTW_UNALIGNED);
    fftw_free(real);
    fftw_free(spectrum);
  }
  if (plan->r2c == nullptr || plan->c2r == nullptr) return make_error(ErrorCode::kInternal, "ripplet: FFTW planning failed");
  return RippletTransform(std::move(plan));
}

std::uint32_t RippletTransform::rows() const { return plan_->rows; }
std::uint32_t RippletTransform::cols() const { return plan_->cols; }
int RippletTransform::scales() const { return plan_->scales; }
const std::vector<int>& RippletTransform::wedges() const { return plan_->wedges; }
std::size_t RippletTransform::band_count() const { return plan_->band_ids.size(); }
const std::vector<double>& RippletTransform::noise_gains() const { return plan_->noise_gains; }

Result<RippletCoefficients> RippletTransform::forward(std::span<const double> frame) const {
  const Plan& p = *plan_;
  MEDCRYPT_TRY(p.check_frame(frame));
  const std::uint64_t bytes = std::uint64_t{p.band_ids.size()} * p.frame_size() * sizeof(double);
  if (bytes > kMaxCoefficientBytes) {
    return make_error(ErrorCode::kUsage, fmt::format("ripplet: {} bands of {}x{} need {} MiB, more than the {} MiB a "
                                                     "transform may hold (filter() streams them)",
                                                     p.band_ids.size(), p.cols, p.rows, bytes >> 20, kMaxCoefficientBytes >> 20));
  }
  const std::vector<Plan::Complex> spectrum = p.spectrum_of(frame);
  RippletCoefficients out;
  out.rows = p.rows;
  out.cols = p.cols;
  out.bands.resize(p.band_ids.size());
  for (std::size_t b = 0; b < out.bands.size(); ++b) {
    out.bands[b].scale = p.band_ids[b].first;
    out.bands[b].angle = p.band_ids[b].second;
    out.bands[b].values.resize(p.frame_size());
  }
  const unsigned threads = default_threads();
  std::vector<std::vector<Plan::Complex>> scratch(threads, std::vector<Plan::Complex>(p.spectrum_size()));
  parallel_for(out.bands.size(), threads, [&](std::size_t b, unsigned worker) {
    p.band(spectrum, b, scratch[worker], out.bands[b].values.data());
  });
  return out;
}

Result<std::vector<double>> RippletTransform::inverse(const RippletCoefficients& coefficients) const {
  const Plan& p = *plan_;
  if (coefficients.rows != p.rows || coefficients.cols != p.cols || coefficients.bands.size() != p.band_ids.size()) {
    return make_error(ErrorCode::kUsage,
                      fmt::format("ripplet: expected {} bands of {}x{}, got {} of {}x{}", p.band_ids.size(), p.cols, p.rows,
                                  coefficients.bands.size(), coefficients.cols, coefficients.rows));
  }
  for (std::size_t b = 0; b < p.band_ids.size(); ++b) {
    const RippletBand& band = coefficients.bands[b];
    if (band.scale != p.band_ids[b].first || band.angle != p.band_ids[b].second || band.values.size() != p.frame_size()) {
      return make_error(ErrorCode::kUsage, fmt::format("ripplet: band {} is not the plan's (scale {}, wedge {}, {} samples)",
                                                       b, p.band_ids[b].first, p.band_ids[b].second, p.frame_size()));
    }
  }
  const unsigned threads = default_threads();
  std::vector<std::vector<Plan::Complex>> scratch(threads, std::vector<Plan::Complex>(p.spectrum_size()));
  std::vector<std::vector<Plan::Complex>> parts = p.empty_shares();
  parallel_for(parts.size(), threads, [&](std::size_t b, unsigned worker) {
    p.share(coefficients.bands[b].values, b, scratch[worker], parts[b]);
  });
  return p.sum_shares(parts);
}

Result<std::vector<double>> RippletTransform::filter(std::span<const double> frame, const BandEdit& edit) const {
  const Plan& p = *plan_;
  MEDCRYPT_TRY(p.check_frame(frame));
  const std::vector<Plan::Complex> spectrum = p.spectrum_of(frame);
  const unsigned threads = default_threads();
  std::vector<std::vector<double>> values(threads, std::vector<double>(p.frame_size()));
  std::vector<std::vector<Plan::Complex>> scratch(threads, std::vector<Plan::Complex>(p.spectrum_size()));
  std::vector<std::vector<Plan::Complex>> parts = p.empty_shares();
  parallel_for(parts.size(), threads, [&](std::size_t b, unsigned worker) {
    p.band(spectrum, b, scratch[worker], values[worker].data());
    edit(b, p.band_ids[b].first, values[worker]);
    p.share(values[worker], b, scratch[worker], parts[b]);
  });
  return p.sum_shares(parts);
}

}  // namespace medcrypt::transform
