// Hand-made images whose figures are known exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/channel.hpp"
#include "metrics/chi_square.hpp"
#include "metrics/entropy.hpp"
#include "metrics/histogram.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"
#include "metrics/ssim.hpp"
#include "metrics_test_util.hpp"

namespace medcrypt::test {
namespace {

using metrics::Direction;

TEST(KnownAnswers, ConstantImageHasNoEntropyAndUndefinedCorrelation) {
  const image::Image img = make_image(64, 64, 8, [](std::size_t) { return 77; });
  const metrics::ImageStats s = metrics::image_stats(img);
  ASSERT_EQ(s.channels.size(), 1u);
  const auto& c = s.channels[0];
  EXPECT_EQ(c.entropy, 0);
  EXPECT_EQ(c.entropy_bytes, 0);
  EXPECT_EQ(c.local_entropy.value, 0);
  // All 4096 samples in one of 256 bins: chi2 = (L - 1) N exactly.
  EXPECT_DOUBLE_EQ(c.chi_square.statistic, 255.0 * 4096);
  EXPECT_EQ(c.chi_square.p_value, 0);
  for (Direction d : metrics::kDirections) {
    EXPECT_TRUE(std::isnan(c.correlation[d])) << metrics::direction_name(d);
    EXPECT_TRUE(std::isnan(c.correlation_sampled[d])) << metrics::direction_name(d);
  }
}

TEST(KnownAnswers, TwoLevelImageHasOneBitOfEntropy) {
  const image::Image img = make_image(64, 64, 8, [](std::size_t i) { return (i % 2) * 255; });
  EXPECT_DOUBLE_EQ(metrics::image_stats(img).channels[0].entropy, 1.0);
}

TEST(KnownAnswers, UniformHistogramHasFullEntropyAndZeroChiSquare) {
  const image::Image img = make_image(256, 64, 8, [](std::size_t i) { return i % 256; });
  const metrics::ImageStats stats = metrics::image_stats(img);
  const auto& c = stats.channels[0];
  EXPECT_DOUBLE_EQ(c.entropy, 8.0);
  EXPECT_EQ(c.chi_square.statistic, 0);
  EXPECT_EQ(c.chi_square.p_value, 1);
  EXPECT_TRUE(c.chi_square.pass[0]);

  // 16 bits: every value once; 16 bits over values, 8 over bytes.
  const image::Image wide = make_image(256, 256, 16, [](std::size_t i) { return i; });
  const metrics::ImageStats wide_stats = metrics::image_stats(wide);
  const auto& w = wide_stats.channels[0];
  EXPECT_DOUBLE_EQ(w.entropy, 16.0);
  EXPECT_DOUBLE_EQ(w.entropy_bytes, 8.0);
  EXPECT_EQ(w.chi_square.statistic, 0);
  EXPECT_EQ(w.chi_square.degrees_of_freedom, 65535u);
}

TEST(KnownAnswers, ByteHistogramCountsBothBytesOfEachValue) {
  metrics::Histogram values(256, 0);
  values[3] = 5;
  metrics::Histogram wide(65536, 0);
  wide[0x1234] = 3;
  wide[0x0012] = 1;
  const metrics::Histogram bytes = metrics::byte_histogram(wide);
  ASSERT_EQ(bytes.size(), 256u);
  EXPECT_EQ(bytes[0x34], 3u);
  EXPECT_EQ(bytes[0x12], 4u);  // high byte of 0x1234 three times, low byte of 0x0012 once
  EXPECT_EQ(bytes[0x00], 1u);
  EXPECT_EQ(metrics::byte_histogram(values), values);  // 8-bit: unchanged
}

TEST(KnownAnswers, CheckerboardCorrelatesMinusOneAcrossAndPlusOneDiagonally) {
  const image::Image img = make_image(32, 32, 8, [](std::size_t i) { return ((i % 32 + i / 32) % 2) * 200 + 10; });
  const metrics::ImageStats stats = metrics::image_stats(img);
  const auto& c = stats.channels[0];
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kHorizontal], -1.0);
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kVertical], -1.0);
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kDiagonal], 1.0);
  EXPECT_DOUBLE_EQ(c.correlation_sampled[Direction::kHorizontal], -1.0);
  EXPECT_DOUBLE_EQ(c.correlation_sampled[Direction::kDiagonal], 1.0);
}

TEST(KnownAnswers, RampCorrelatesOneInEveryDirection) {
  // A horizontal ramp: each column constant, so vertical pairs are (v, v) and the others (v, v + 6).
  const image::Image img = make_image(40, 30, 8, [](std::size_t i) { return (i % 40) * 6; });
  const metrics::ImageStats stats = metrics::image_stats(img);
  const auto& c = stats.channels[0];
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kVertical], 1.0);
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kHorizontal], 1.0);  // x and x + 1 along a ramp
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kDiagonal], 1.0);
}

TEST(KnownAnswers, CorrelationStaysWithinFrames) {
  // Two frames, each a checkerboard, the second inverted: pairs across the frame boundary would break
  // the -1 / +1 pattern.
  const image::Image img = make_image(
      16, 16, 8, [](std::size_t i) { return ((i % 16 + (i / 16) % 16 + i / 256) % 2) * 100; }, 1, 2);
  const metrics::ImageStats stats = metrics::image_stats(img);
  const auto& c = stats.channels[0];
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kVertical], -1.0);
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kDiagonal], 1.0);
}

TEST(KnownAnswers, ImageAgainstItself) {
  const image::Image img = make_image(64, 48, 8, [](std::size_t i) { return (i * 37) % 251; }, 3);
  const metrics::ImageComparison c = metrics::compare_images(img, img).value();
  EXPECT_EQ(c.overall.differential.npcr, 0);
  EXPECT_EQ(c.overall.differential.uaci, 0);
  EXPECT_EQ(c.overall.error.mse, 0);
  EXPECT_EQ(c.overall.error.mae, 0);
  EXPECT_TRUE(std::isinf(c.overall.error.psnr));
  EXPECT_DOUBLE_EQ(c.overall.ssim, 1.0);
  ASSERT_EQ(c.channels.size(), 3u);
  EXPECT_EQ(c.channels[1].name, "G");
  EXPECT_DOUBLE_EQ(c.channels[2].ssim, 1.0);
}

TEST(KnownAnswers, OppositeImagesDifferEverywhereByTheFullRange) {
  const image::Image black = make_image(32, 32, 8, [](std::size_t) { return 0; });
  const image::Image white = make_image(32, 32, 8, [](std::size_t) { return 255; });
  const metrics::ImageComparison c = metrics::compare_images(black, white).value();
  EXPECT_EQ(c.overall.differential.npcr, 100);
  EXPECT_EQ(c.overall.differential.uaci, 100);
  EXPECT_EQ(c.overall.error.mse, 255.0 * 255.0);
  EXPECT_EQ(c.overall.error.psnr, 0);
  // Constant images: variances and covariance 0, so SSIM = (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1).
  const double c1 = (0.01 * 255) * (0.01 * 255);
  EXPECT_NEAR(c.overall.ssim, c1 / (255.0 * 255.0 + c1), 1e-15);
}

TEST(KnownAnswers, ErrorMeasuresOfAOneLevelShift) {
  const image::Image a = make_image(20, 20, 8, [](std::size_t i) { return i % 200; });
  const image::Image b = make_image(20, 20, 8, [](std::size_t i) { return i % 200 + (i % 2); });
  const metrics::ImageComparison c = metrics::compare_images(a, b).value();
  EXPECT_DOUBLE_EQ(c.overall.differential.npcr, 50.0);
  EXPECT_DOUBLE_EQ(c.overall.differential.uaci, 50.0 / 255);
  EXPECT_DOUBLE_EQ(c.overall.error.mse, 0.5);
  EXPECT_DOUBLE_EQ(c.overall.error.rmse, std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(c.overall.error.mae, 0.5);
  EXPECT_DOUBLE_EQ(c.overall.error.psnr, 10 * std::log10(255.0 * 255.0 / 0.5));
}

TEST(KnownAnswers, SsimIsUndefinedBelowTheWindow) {
  const image::Image a = make_image(10, 40, 8, [](std::size_t i) { return i % 256; });
  EXPECT_TRUE(std::isnan(metrics::compare_images(a, a).value().overall.ssim));
}

TEST(KnownAnswers, GeometryMismatchIsAUsageError) {
  const image::Image a = make_image(10, 10, 8, [](std::size_t) { return 0; });
  const image::Image b = make_image(10, 11, 8, [](std::size_t) { return 0; });
  auto c = metrics::compare_images(a, b);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUsage);
  EXPECT_NE(c.error().message.find("10x10"), std::string::npos) << c.error().message;
}

TEST(SampleValues, SignedSamplesBecomeOffsetBinaryAndHighBitsAreIgnored) {
  image::Geometry g{2, 1, 1, 1, 16, 12, true, "MONOCHROME2"};
  EXPECT_EQ(metrics::sample_value(0xFFFF, g), 0x7FF);  // -1 -> 2047
  EXPECT_EQ(metrics::sample_value(0xF800, g), 0);      // -2048, the smallest
  EXPECT_EQ(metrics::sample_value(0x07FF, g), 4095);   // 2047, the largest
  EXPECT_EQ(metrics::sample_value(0x0000, g), 2048);
  g.is_signed = false;
  EXPECT_EQ(metrics::sample_value(0xF123, g), 0x123);  // bits above bits stored are not pixel data
  g = {1, 1, 1, 1, 8, 8, true, "MONOCHROME2"};
  EXPECT_EQ(metrics::sample_value(0x80, g), 0);  // -128
  EXPECT_EQ(metrics::sample_value(0x7F, g), 255);
}

TEST(SampleValues, StoredWordIsTheInverseWithSignExtension) {
  image::Geometry g{2, 1, 1, 1, 16, 12, true, "MONOCHROME2"};
  EXPECT_EQ(metrics::stored_word(0x7FF, g), 0xFFFFu);  // 2047 -> -1, sign-extended to 16 bits
  EXPECT_EQ(metrics::stored_word(0, g), 0xF800u);      // -2048
  EXPECT_EQ(metrics::stored_word(4095, g), 0x07FFu);   // 2047
  EXPECT_EQ(metrics::stored_word(2048, g), 0u);
  for (std::uint32_t v = 0; v < 4096; ++v) ASSERT_EQ(metrics::sample_value(metrics::stored_word(v, g), g), v);
  g.is_signed = false;
  EXPECT_EQ(metrics::stored_word(0x123, g), 0x123u);
  g = {1, 1, 1, 1, 8, 8, true, "MONOCHROME2"};
  EXPECT_EQ(metrics::stored_word(0, g), 0x80u);  // -128
}

TEST(SampleValues, SignedImageCorrelatesLikeItsValues) {
  // A ramp through zero, stored as two's complement: correlation 1 only if -1 < 0 < 1 keep their order.
  const image::Image img = make_image(
      64, 8, 16, [](std::size_t i) { return static_cast<std::uint16_t>(static_cast<int>(i % 64) - 32); }, 1, 1, true);
  EXPECT_DOUBLE_EQ(metrics::image_stats(img).channels[0].correlation[Direction::kHorizontal], 1.0);
}

TEST(Channels, RgbIsSplitAndNamed) {
  const image::Image img = make_image(4, 2, 8, [](std::size_t i) { return i; }, 3);
  const auto channels = metrics::split_channels(img);
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[1].values()[0], 1);
  EXPECT_EQ(channels[1].values()[1], 4);
  EXPECT_EQ(channels[2].values()[7], 23);
  EXPECT_EQ(metrics::channel_names(img.geometry()), (std::vector<std::string>{"R", "G", "B"}));
}

// A view on bytes outside any Image is measured as the Image holding the same bytes.
TEST(Channels, AViewIsMeasuredAsTheImage) {
  for (const std::uint8_t bits : {8, 12, 16}) {
    const image::Image img = make_image(19, 13, bits, [](std::size_t i) { return (i * 2654435761u) >> 20; }, 3);
    const std::vector<std::uint8_t> outside(img.bytes().begin(), img.bytes().end());
    const image::ImageView view = image::ImageView::from_bytes(img.geometry(), outside).value();
    const auto from_view = metrics::split_channels(view);
    const auto from_image = metrics::split_channels(img);
    ASSERT_EQ(from_view.size(), from_image.size());
    for (std::size_t c = 0; c < from_view.size(); ++c) {
      EXPECT_TRUE(std::ranges::equal(from_view[c].values(), from_image[c].values()));
    }
    EXPECT_EQ(metrics::image_stats(view).channels[1].entropy, metrics::image_stats(img).channels[1].entropy);
    const metrics::ImageComparison c = metrics::compare_images(view, img).value();
    EXPECT_EQ(c.overall.error.mse, 0);
  }
}

// A grey image whose 16-bit words are its values is measured in place; one word with a bit above bits
// stored makes the channel a masked copy, measured as the image without that bit.
TEST(Channels, GreyWordsAreBorrowedOnlyWhereTheyAreTheValues) {
  const auto fill = [](std::size_t i) { return static_cast<std::uint32_t>((i * 2654435761u) >> 20) & 0xfff; };
  const image::Image twelve = make_image(23, 17, 12, fill);
  const auto borrowed = metrics::split_channels(twelve);
  EXPECT_EQ(borrowed[0].values().data(), twelve.u16().data());
  EXPECT_TRUE(borrowed[0].owned.empty());

  image::Image stray = twelve;
  stray.set_word(5, stray.word(5) | 0x4000);  // not pixel data: above the 12 bits stored
  const auto masked = metrics::split_channels(stray);
  EXPECT_NE(masked[0].values().data(), stray.u16().data());
  EXPECT_TRUE(std::ranges::equal(masked[0].values(), borrowed[0].values()));
  EXPECT_EQ(metrics::image_stats(stray).channels[0].entropy, metrics::image_stats(twelve).channels[0].entropy);
  EXPECT_EQ(metrics::compare_images(stray, twelve).value().overall.error.mse, 0);

  const image::Image sixteen = make_image(23, 17, 16, [](std::size_t i) { return 0xffffu - i; });
  EXPECT_EQ(metrics::split_channels(sixteen)[0].values().data(), sixteen.u16().data());
  const image::Image signed_twelve = make_image(23, 17, 12, fill, 1, 1, true);  // offset binary: a copy
  EXPECT_FALSE(metrics::split_channels(signed_twelve)[0].owned.empty());
}

// Samples wider than 16 bits are measured on their 16 most significant bits, in the order of their values:
// 32-bit words by their value (offset binary where signed), floats by their order-preserving bit pattern.
TEST(Channels, WideAndFloatSamplesKeepTheirOrderInSixteenBits) {
  auto channel_of = [](image::Geometry g, const std::vector<std::uint8_t>& bytes) {
    auto img = image::Image::from_bytes(std::move(g), PixelBytes(bytes.begin(), bytes.end()));
    EXPECT_TRUE(img) << img.error().message;
    if (!img) return std::vector<std::uint16_t>{};
    const auto channels = metrics::split_channels(*img);
    EXPECT_EQ(channels[0].bits, 16);
    return std::vector<std::uint16_t>(channels[0].values().begin(), channels[0].values().end());
  };
  auto le = [](std::initializer_list<std::uint64_t> words, std::size_t size) {
    std::vector<std::uint8_t> out;
    for (std::uint64_t w : words) {
      for (std::size_t b = 0; b < size; ++b) out.push_back(static_cast<std::uint8_t>(w >> (8 * b)));
    }
    return out;
  };
  using V = std::vector<std::uint16_t>;
  EXPECT_EQ(channel_of({4, 1, 1, 1, 32, 32, false, "MONOCHROME2"},
                       le({0, 0x00010000, 0xFFFF0000, 0xFFFFFFFF}, 4)),
            (V{0, 1, 0xFFFF, 0xFFFF}));
  // 24 bits stored, signed: -2^23, -1, 0, 2^23 - 1; the byte above bits stored is ignored.
  EXPECT_EQ(channel_of({4, 1, 1, 1, 32, 24, true, "MONOCHROME2"},
                       le({0xFF800000, 0xFFFFFFFF, 0x00000000, 0xAB7FFFFF}, 4)),
            (V{0x0000, 0x7FFF, 0x8000, 0xFFFF}));
  // -2.0f, -0.5f, 0.0f, 1.5f: 0xC0000000, 0xBF000000, 0, 0x3FC00000.
  EXPECT_EQ(channel_of({4, 1, 1, 1, 32, 0, false, "MONOCHROME2"},
                       le({0xC0000000, 0xBF000000, 0x00000000, 0x3FC00000}, 4)),
            (V{0x3FFF, 0x40FF, 0x8000, 0xBFC0}));
  // -1.0, 1.0 as doubles.
  EXPECT_EQ(channel_of({2, 1, 1, 1, 64, 0, false, "MONOCHROME2"}, le({0xBFF0000000000000, 0x3FF0000000000000}, 8)),
            (V{0x400F, 0xBFF0}));
}

TEST(Sampling, SameSeedSameChoicesOtherSeedOthers) {
  const auto a = metrics::sample_adjacent_pairs(100, 80, 3, 500, 7);
  const auto b = metrics::sample_adjacent_pairs(100, 80, 3, 500, 7);
  const auto c = metrics::sample_adjacent_pairs(100, 80, 3, 500, 8);
  std::size_t same = 0;
  for (Direction d : metrics::kDirections) {
    ASSERT_EQ(a[d].size(), 500u);
    for (std::size_t i = 0; i < 500; ++i) {
      EXPECT_EQ(a[d][i].x, b[d][i].x);
      EXPECT_EQ(a[d][i].y, b[d][i].y);
      const auto q = metrics::neighbour(a[d][i], d);
      EXPECT_LT(q.x, 100u);
      EXPECT_LT(q.y, 80u);
      EXPECT_LT(q.frame, 3u);
      same += a[d][i].x == c[d][i].x && a[d][i].y == c[d][i].y && a[d][i].frame == c[d][i].frame;
    }
  }
  EXPECT_LT(same, 10u);
}

TEST(Sampling, BoundedDrawsAreUniform) {
  metrics::SeededRandom random(3);
  std::array<int, 6> counts{};
  for (int i = 0; i < 60000; ++i) ++counts[random.below(6)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);  // 4 standard deviations
}

TEST(Sampling, WithoutPairsTheSampleIsEmptyAndCorrelationUndefined) {
  const image::Image column = make_image(1, 50, 8, [](std::size_t i) { return i; });
  const metrics::ImageStats stats = metrics::image_stats(column);
  const auto& c = stats.channels[0];
  EXPECT_TRUE(std::isnan(c.correlation[Direction::kHorizontal]));
  EXPECT_TRUE(std::isnan(c.correlation_sampled[Direction::kDiagonal]));
  EXPECT_DOUBLE_EQ(c.correlation[Direction::kVertical], 1.0);
}

}  // namespace
}  // namespace medcrypt::test
