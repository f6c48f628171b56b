// The speckle stage: the noise has the multiplicative statistics asked for, is seeded, and its removal
// brings a real CT, MR and fundus image measurably closer to the original; every kind of integer image
// keeps its geometry; floating-point images and bad parameters are refused.
#include "zigzag/speckle.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "image/image_file.hpp"
#include "metrics/channel.hpp"
#include "metrics/image_compare.hpp"
#include "support/test_support.hpp"

namespace medcrypt {
namespace {

image::Image flat(std::uint8_t bits_allocated, std::uint32_t level) {
  image::Geometry g;
  g.width = g.height = 256;
  g.bits_allocated = bits_allocated;
  g.bits_stored = bits_allocated;
  image::Image img = image::Image::create(g).value();
  for (std::size_t i = 0; i < g.sample_count(); ++i) img.set_word(i, level);
  return img;
}

// g / f has mean 1 and the variance asked for (f + 1 for the +1 offset the stage uses).
TEST(Speckle, NoiseIsMultiplicativeWithTheVarianceAsked) {
  for (auto [bits, level, variance] : {std::tuple{16, 30000u, 0.04}, std::tuple{8, 200u, 0.01}, std::tuple{16, 1000u, 0.3}}) {
    SCOPED_TRACE(std::to_string(bits) + "-bit, variance " + std::to_string(variance));
    const image::Image plain = flat(static_cast<std::uint8_t>(bits), level);
    zigzag::SpeckleParams p;
    p.variance = variance;
    auto noisy = zigzag::add_speckle(plain, p, 7);
    ASSERT_TRUE(noisy);
    double sum = 0, squares = 0;
    const std::size_t n = plain.geometry().sample_count();
    for (std::size_t i = 0; i < n; ++i) {
      const double ratio = (noisy->word(i) + 1.0) / (level + 1.0);
      sum += ratio;
      squares += ratio * ratio;
    }
    const double mean = sum / n, var = squares / n - mean * mean;
    EXPECT_NEAR(mean, 1.0, 0.01);
    EXPECT_NEAR(var / variance, 1.0, 0.05);
  }
}

TEST(Speckle, DrawsFollowTheSeed) {
  const image::Image plain = flat(8, 100);
  auto a = zigzag::add_speckle(plain, {}, 1), b = zigzag::add_speckle(plain, {}, 1), c = zigzag::add_speckle(plain, {}, 2);
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(std::equal(a->u8().begin(), a->u8().end(), b->u8().begin()));
  EXPECT_FALSE(std::equal(a->u8().begin(), a->u8().end(), c->u8().begin()));
}

// On real images of four kinds (8-bit CT and MR, RGB fundus, 12-bit CT in 16-bit words): the despeckled
// image is closer to the original than the noisy one, by PSNR and by SSIM.
TEST(Speckle, RemovalBringsRealImagesBackTowardsTheOriginal) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  for (const char* name : {"png/CT1_chest_512.png", "png/MR1_brain_512.png", "png/retina_512.png",
                           "dicom/ID_0000_AGE_0060_CONTRAST_1_CT.dcm"}) {
    SCOPED_TRACE(name);
    auto loaded = image::read_image_file(test::shared_data() / name);
    ASSERT_TRUE(loaded);
    const image::Image& plain = loaded->image;
    zigzag::SpeckleParams p;
    auto noisy = zigzag::add_speckle(plain, p, 3);
    ASSERT_TRUE(noisy);
    auto clean = zigzag::remove_speckle(*noisy, p);
    ASSERT_TRUE(clean) << clean.error().message;
    EXPECT_EQ(clean->geometry(), plain.geometry());
    const auto before = metrics::compare_images(plain, *noisy).value().overall;
    const auto after = metrics::compare_images(plain, *clean).value().overall;
    EXPECT_GT(after.error.psnr, before.error.psnr + 2) << before.error.psnr << " -> " << after.error.psnr;
    EXPECT_GT(after.ssim, before.ssim + 0.05) << before.ssim << " -> " << after.ssim;
  }
}

// A multi-frame image of 12-bit samples in 16-bit words keeps its geometry, every word stays within 12
// bits, and frames are filtered apart (a black frame stays nearly black).
TEST(Speckle, MultiFrameTwelveBitImagesKeepTheirForm) {
  image::Geometry g;
  g.width = 40;
  g.height = 30;
  g.frames = 2;
  g.bits_allocated = 16;
  g.bits_stored = 12;
  image::Image img = image::Image::create(g).value();
  for (std::size_t i = 0; i < g.pixels_per_frame(); ++i) img.set_word(i, metrics::stored_word(1500 + i % 700, g));
  for (std::size_t i = g.pixels_per_frame(); i < g.sample_count(); ++i) img.set_word(i, metrics::stored_word(0, g));
  zigzag::SpeckleParams p;
  auto noisy = zigzag::add_speckle(img, p, 4);
  ASSERT_TRUE(noisy);
  auto clean = zigzag::remove_speckle(*noisy, p);
  ASSERT_TRUE(clean);
  EXPECT_EQ(clean->geometry(), g);
  for (std::size_t i = 0; i < g.sample_count(); ++i) {
    const std::uint32_t w = clean->word(i);
    EXPECT_LE(w, 4095u) << i;
    if (i >= g.pixels_per_frame()) {
      EXPECT_LE(w, 3u) << i;
    }
  }
}

// The despeckled image equals numpy's computation of the same filter (despeckle_reference.py) on a real
// noisy CT crop, but for rare one-level rounding differences.
TEST(Speckle, RemovalMatchesAnIndependentNumpyComputation) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto loaded = image::read_image_file(test::shared_data() / "png" / "CT1_chest_512.png");
  ASSERT_TRUE(loaded);
  image::Geometry g = loaded->image.geometry();
  ASSERT_EQ(g.samples, 1);
  ASSERT_EQ(g.bits_stored, 8);
  g.width = 150;
  g.height = 121;
  image::Image crop = image::Image::create(g).value();
  for (std::uint32_t y = 0; y < g.height; ++y) {
    for (std::uint32_t x = 0; x < g.width; ++x) {
      crop.set_word(std::size_t{y} * g.width + x, loaded->image.word(std::size_t{y + 200} * 512 + x + 180));
    }
  }
  zigzag::SpeckleParams p;
  p.variance = 0.1;
  p.ripplet = {0.5, 3, 4};
  p.threshold = 2.5;
  auto noisy = zigzag::add_speckle(crop, p, 11);
  ASSERT_TRUE(noisy);
  test::ScratchDir dir;
  ASSERT_TRUE(image::write_image_file(dir / "noisy.png", *noisy, image::FileFormat::kPng));
  auto ours = zigzag::remove_speckle(*noisy, p);
  ASSERT_TRUE(ours);
  const auto r = test::run_command(
      test::system_python() + " " +
      test::quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/zigzag/despeckle_reference.py") + " " +
      test::quote(dir / "noisy.png") + " 0.1 0.5 3 4 2.5 " + test::quote(dir / "theirs.raw"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(dir / "theirs.raw", std::ios::binary);
  std::vector<char> theirs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(theirs.size(), g.sample_count());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < theirs.size(); ++i) {
    const int a = ours->word(i), b = static_cast<std::uint8_t>(theirs[i]);
    EXPECT_LE(std::abs(a - b), 1) << i;
    differ += a != b;
  }
  EXPECT_LE(differ, theirs.size() / 1000);
  // The filter did something: the result is not the noisy input.
  EXPECT_FALSE(std::equal(ours->u8().begin(), ours->u8().end(), noisy->u8().begin()));
}

TEST(Speckle, RefusesWhatItCannotFilter) {
  image::Geometry g;
  g.width = g.height = 8;
  g.bits_allocated = 32;
  g.bits_stored = 0;  // float samples
  const image::Image floats = image::Image::create(g).value();
  EXPECT_EQ(zigzag::add_speckle(floats, {}, 1).error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(zigzag::remove_speckle(floats, {}).error().code, ErrorCode::kUnsupported);
  // Signed samples (CT numbers) have no intensity scale for a multiplicative noise.
  image::Geometry s;
  s.width = s.height = 8;
  s.bits_allocated = s.bits_stored = 16;
  s.is_signed = true;
  const image::Image signed_image = image::Image::create(s).value();
  EXPECT_EQ(zigzag::add_speckle(signed_image, {}, 1).error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(zigzag::remove_speckle(signed_image, {}).error().code, ErrorCode::kUnsupported);
  const image::Image plain = flat(8, 10);
  zigzag::SpeckleParams bad;
  bad.variance = 0;
  EXPECT_EQ(zigzag::add_speckle(plain, bad, 1).error().code, ErrorCode::kUsage);
  bad = {};
  bad.threshold = -1;
  EXPECT_EQ(zigzag::remove_speckle(plain, bad).error().code, ErrorCode::kUsage);
  bad = {};
  bad.ripplet.degree = 9;
  EXPECT_EQ(zigzag::remove_speckle(plain, bad).error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace medcrypt
