// The ripplet-I transform: exact reconstruction and Parseval's identity on real images and odd geometries,
// the same coefficients as an independent numpy computation of the tiling (ripplet_reference.py), the
// scaling law in the wedge counts, directional selectivity, and bad input refused.
#include "transform/ripplet.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "image/image_file.hpp"
#include "support/test_support.hpp"

namespace medcrypt {
namespace {

using test::quote;
using transform::RippletCoefficients;
using transform::RippletParams;
using transform::RippletTransform;

std::vector<double> random_frame(std::uint32_t rows, std::uint32_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 255);
  std::vector<double> f(std::size_t{rows} * cols);
  for (double& x : f) x = u(rng);
  return f;
}

// A rows x cols window of a real CT slice's first channel, as doubles.
std::vector<double> ct_frame(std::uint32_t rows, std::uint32_t cols) {
  const image::Image img = image::read_image_file(test::shared_data() / "png" / "CT1_chest_512.png").value().image;
  const image::Geometry& g = img.geometry();
  std::vector<double> f(std::size_t{rows} * cols);
  for (std::uint32_t y = 0; y < rows; ++y) {
    for (std::uint32_t x = 0; x < cols; ++x) {
      f[std::size_t{y} * cols + x] = img.word((std::size_t{y + 100} * g.width + x + 100) * g.samples);
    }
  }
  return f;
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

double energy(const std::vector<double>& f) {
  double e = 0;
  for (double x : f) e += x * x;
  return e;
}

double energy(const RippletCoefficients& c) {
  double e = 0;
  for (const auto& band : c.bands) e += energy(band.values);
  return e;
}

struct Case {
  std::uint32_t rows, cols;
  RippletParams params;
};

// Perfect reconstruction (to 1e-9 of the sample range) and a tight frame for a frame and parameters.
void expect_exact(const Case& c, const std::vector<double>& f) {
  SCOPED_TRACE(std::to_string(c.rows) + "x" + std::to_string(c.cols));
  auto t = RippletTransform::create(c.rows, c.cols, c.params);
  ASSERT_TRUE(t) << t.error().message;
  auto coefficients = t->forward(f);
  ASSERT_TRUE(coefficients);
  EXPECT_EQ(coefficients->bands.size(), t->band_count());
  auto back = t->inverse(*coefficients);
  ASSERT_TRUE(back);
  EXPECT_LT(max_abs_difference(f, *back), 255 * 1e-9);
  EXPECT_NEAR(energy(*coefficients) / energy(f), 1.0, 1e-9);
}

// Random samples of odd, even and degenerate geometries (1 x N, N x 1), several supports and degrees.
TEST(Ripplet, ReconstructsExactlyAndKeepsEnergy) {
  for (const Case& c : {Case{37, 50, {2, 1, 0}}, Case{64, 63, {1, 2, 4}}, Case{1, 40, {}}, Case{40, 1, {}},
                        Case{5, 7, {1, 4, 2}}, Case{32, 31, {0.25, 1.25, 6}}}) {
    expect_exact(c, random_frame(c.rows, c.cols, c.rows * 1000 + c.cols));
  }
}

// The same on a real CT slice.
TEST(Ripplet, ReconstructsARealCtExactly) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  for (const Case& c : {Case{256, 256, {}}, Case{200, 312, {0.5, 3, 0}}}) expect_exact(c, ct_frame(c.rows, c.cols));
}

// filter() is forward, an edit of each band, inverse, without holding the bands: with no edit it returns
// the frame, with the detail bands zeroed the low-pass band, as forward and inverse give them.
TEST(Ripplet, FilterStreamsWhatForwardAndInverseGive) {
  const std::uint32_t rows = 48, cols = 70;
  auto t = RippletTransform::create(rows, cols, {1, 2, 3});
  ASSERT_TRUE(t);
  const std::vector<double> f = random_frame(rows, cols, 3);
  auto same = t->filter(f, [](std::size_t, int, std::span<double>) {});
  ASSERT_TRUE(same);
  EXPECT_LT(max_abs_difference(f, *same), 255 * 1e-9);
  auto low = t->filter(f, [](std::size_t, int scale, std::span<double> v) {
    if (scale > 0) std::fill(v.begin(), v.end(), 0.0);
  });
  ASSERT_TRUE(low);
  RippletCoefficients c = t->forward(f).value();
  for (auto& band : c.bands) {
    if (band.scale > 0) std::fill(band.values.begin(), band.values.end(), 0.0);
  }
  EXPECT_LT(max_abs_difference(*low, t->inverse(c).value()), 255 * 1e-9);
  EXPECT_GT(max_abs_difference(*low, f), 10.0);  // the details were there to remove
}

// The same bands as numpy's full-spectrum computation of the tiling, to 1e-9 of the sample range (what
// checks this code). The reference also reports on its own windows: every band real and the squares
// summing to one everywhere, which the band-by-band agreement then carries over.
TEST(Ripplet, MatchesAnIndependentNumpyComputation) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  test::ScratchDir dir;
  for (const Case& c : {Case{96, 128, {1, 2, 4}}, Case{33, 47, {0.5, 3, 3}}, Case{64, 50, {2, 1, 3}}, Case{31, 32, {1, 2, 2}},
                        Case{32, 31, {1, 1.25, 6}}}) {
    SCOPED_TRACE(std::to_string(c.rows) + "x" + std::to_string(c.cols));
    const std::vector<double> f = ct_frame(c.rows, c.cols);
    {
      std::ofstream out(dir / "frame.f64", std::ios::binary);
      out.write(reinterpret_cast<const char*>(f.data()), std::streamsize(f.size() * sizeof(double)));
    }
    auto t = RippletTransform::create(c.rows, c.cols, c.params);
    ASSERT_TRUE(t);
    const auto r = test::run_command(
        test::system_python() + " " + quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/transform/ripplet_reference.py") +
        " " + quote(dir / "frame.f64") +
        fmt::format(" {} {} {:.17g} {:.17g} {} ", c.rows, c.cols, c.params.support, c.params.degree, t->scales()) +
        quote(dir / "bands.f64"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["wedges"].get<std::vector<int>>(), t->wedges());
    ASSERT_EQ(report["bands"].get<std::size_t>(), t->band_count());
    EXPECT_LT(report["max_imaginary"].get<double>(), 1e-9);
    EXPECT_LT(report["window_square_sum_error"].get<double>(), 1e-12);
    EXPECT_NEAR(report["parseval"].get<double>(), 1.0, 1e-9);

    auto ours = t->forward(f);
    ASSERT_TRUE(ours);
    std::ifstream in(dir / "bands.f64", std::ios::binary);
    for (const auto& band : ours->bands) {
      std::vector<double> theirs(band.values.size());
      in.read(reinterpret_cast<char*>(theirs.data()), std::streamsize(theirs.size() * sizeof(double)));
      ASSERT_TRUE(in) << "numpy wrote fewer bands";
      EXPECT_LT(max_abs_difference(band.values, theirs), 255 * 1e-9) << "band " << band.scale << "/" << band.angle;
    }
  }
}

// The scaling law: wedges per scale 4/c * 2^floor((j-1)(1-1/d)), counted by hand.
TEST(Ripplet, WedgeCountsFollowTheScalingLaw) {
  struct Law {
    double c, d;
    std::vector<int> wedges;
  };
  for (const Law& c : {Law{1, 2, {4, 4, 8, 8, 16}}, Law{1, 1, {4, 4, 4, 4, 4}}, Law{1, 3, {4, 4, 8, 16, 16}},
                        Law{2, 2, {2, 2, 4, 4, 8}}, Law{0.5, 2, {8, 8, 16, 16, 32}}, Law{4, 1, {1, 1, 1, 1, 1}},
                        // (j - 1)(1 - 1/d) = 1 at j = 6 computes as 0.999...: the count must still double.
                        Law{1, 1.25, {4, 4, 4, 4, 4, 8}}}) {
    auto t = RippletTransform::create(128, 128, {c.c, c.d, static_cast<int>(c.wedges.size())});
    ASSERT_TRUE(t);
    EXPECT_EQ(t->wedges(), c.wedges) << "c " << c.c << " d " << c.d;
  }
  EXPECT_EQ(RippletTransform::create(512, 512).value().scales(), 6);  // floor(log2 512) - 3 = 6
  EXPECT_EQ(RippletTransform::create(64, 300).value().scales(), 3);
}

// A plane wave at angle a (its frequency vector's direction) puts its energy in the finest-band wedge
// centred nearest a: the transform is directional.
TEST(Ripplet, APlaneWaveLandsInTheWedgeOfItsDirection) {
  const std::uint32_t n = 128;
  auto t = RippletTransform::create(n, n, {1, 2, 4});
  ASSERT_TRUE(t);
  const int wedges = t->wedges().back();  // 8 over [0, pi)
  for (int k = 0; k < wedges; ++k) {
    const double a = k * std::numbers::pi / wedges;
    std::vector<double> f(std::size_t{n} * n);
    for (std::uint32_t y = 0; y < n; ++y) {
      for (std::uint32_t x = 0; x < n; ++x) f[y * n + x] = std::cos(2 * std::numbers::pi * 0.3 * (x * std::cos(a) + y * std::sin(a)));
    }
    auto c = t->forward(f);
    ASSERT_TRUE(c);
    double best = -1, total = 0;
    int best_angle = -1;
    for (const auto& band : c->bands) {
      const double e = energy(band.values);
      total += e;
      if (band.scale == t->scales() && e > best) {
        best = e;
        best_angle = band.angle;
      }
    }
    EXPECT_EQ(best_angle, k);
    EXPECT_GT(best / total, 0.6) << "angle " << k;
  }
}

// White noise of unit variance gives each band coefficients of the deviation noise_gains() says (the
// thresholds of the despeckling rest on it), and the squared gains sum to one.
TEST(Ripplet, NoiseGainsPredictWhiteNoiseDeviations) {
  const std::uint32_t rows = 256, cols = 250;
  auto t = RippletTransform::create(rows, cols, {1, 2, 3});  // 3 scales: even the low-pass band spans many bins
  ASSERT_TRUE(t);
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal(0, 1);
  const int draws = 4;
  std::vector<double> band_energy(t->band_count());
  for (int d = 0; d < draws; ++d) {
    std::vector<double> noise(std::size_t{rows} * cols);
    for (double& x : noise) x = normal(rng);
    auto c = t->forward(noise);
    ASSERT_TRUE(c);
    for (std::size_t b = 0; b < c->bands.size(); ++b) band_energy[b] += energy(c->bands[b].values);
  }
  double squares = 0;
  for (std::size_t b = 0; b < band_energy.size(); ++b) {
    const double gain = t->noise_gains()[b];
    squares += gain * gain;
    const double measured = std::sqrt(band_energy[b] / (double(draws) * rows * cols));
    EXPECT_NEAR(measured / gain, 1.0, 0.1) << "band " << b;
  }
  EXPECT_NEAR(squares, 1.0, 1e-9);
}

TEST(Ripplet, RefusesBadInput) {
  EXPECT_EQ(RippletTransform::create(0, 10).error().code, ErrorCode::kUsage);
  EXPECT_EQ(RippletTransform::create(10, 10, {0.1, 2, 0}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(RippletTransform::create(10, 10, {1, 0.5, 0}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(RippletTransform::create(10, 10, {1, 2, 9}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(RippletTransform::create(10, 10, {1, std::nan(""), 0}).error().code, ErrorCode::kUsage);
  auto t = RippletTransform::create(16, 16);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->forward(std::vector<double>(15 * 16)).error().code, ErrorCode::kUsage);
  auto c = t->forward(std::vector<double>(16 * 16, 1.0));
  ASSERT_TRUE(c);
  RippletCoefficients missing = *c;
  missing.bands.pop_back();
  EXPECT_EQ(t->inverse(missing).error().code, ErrorCode::kUsage);
  RippletCoefficients short_band = *c;
  short_band.bands[1].values.resize(10);
  EXPECT_EQ(t->inverse(short_band).error().code, ErrorCode::kUsage);
  RippletCoefficients other = *c;
  other.cols = 17;
  EXPECT_EQ(t->inverse(other).error().code, ErrorCode::kUsage);
  EXPECT_EQ(t->filter(std::vector<double>(3), [](std::size_t, int, std::span<double>) {}).error().code, ErrorCode::kUsage);
  // 1153 bands of 512x512 would hold 2.4 GB: forward refuses, filter streams them.
  auto huge = RippletTransform::create(512, 512, {0.25, 4, 8});
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->forward(std::vector<double>(512 * 512)).error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace medcrypt
