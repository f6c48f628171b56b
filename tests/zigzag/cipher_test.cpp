// The zigzag cipher: the 384 scan plans, the composed order against the three scrambles done one after
// another (zigzag.hpp), a hand-counted plan, and exact decryption of 8- and 16-bit grey and RGB frames.
#include "zigzag/cipher.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <set>

namespace medcrypt {
namespace {

using zigzag::Corner;
using zigzag::Pattern;

TEST(ZigzagCipher, ThePlansAreTheOrdersTimesTheCorners) {
  std::set<std::vector<std::uint8_t>> plans;
  for (std::uint32_t c = 0; c < zigzag::kScanPlans; ++c) {
    const zigzag::ScanPlan p = zigzag::scan_plan(c);
    std::set<Pattern> patterns;
    std::vector<std::uint8_t> code;
    for (const auto& s : p.scans) {
      patterns.insert(s.pattern);
      code.push_back(static_cast<std::uint8_t>(s.pattern));
      code.push_back(static_cast<std::uint8_t>(s.corner));
    }
    EXPECT_EQ(patterns.size(), 3u) << "plan " << c << " must use each pattern once";
    plans.insert(code);
  }
  EXPECT_EQ(plans.size(), 384u);
  const zigzag::ScanPlan first = zigzag::scan_plan(0);
  EXPECT_EQ(first.scans[0].pattern, Pattern::kHorizontal);
  EXPECT_EQ(first.scans[1].pattern, Pattern::kVertical);
  EXPECT_EQ(first.scans[2].pattern, Pattern::kDiagonal);
  EXPECT_EQ(zigzag::scan_plan(384 + 7).scans[0].pattern, zigzag::scan_plan(7).scans[0].pattern);
  // choice 6 * (1 + 4 * 2 + 16 * 3) = 342: the first order, corners top-right, bottom-left, bottom-right.
  const zigzag::ScanPlan corners = zigzag::scan_plan(342);
  EXPECT_EQ(corners.scans[0].corner, Corner::kTopRight);
  EXPECT_EQ(corners.scans[1].corner, Corner::kBottomLeft);
  EXPECT_EQ(corners.scans[2].corner, Corner::kBottomRight);
}

// Plan 0 on the 2x3 frame 0 1 2 / 3 4 5, by hand: horizontal gives 0 1 2 5 4 3; vertical of that
// (columns 0,3 / 4,1 / 2,5) gives 0 5 4 1 2 3; diagonal (0 / 1,3 / 4,2 / 5) gives 0 5 1 2 4 3.
TEST(ZigzagCipher, HandCountedPlan) {
  EXPECT_EQ(zigzag::plan_order(2, 3, zigzag::scan_plan(0)).value(), (std::vector<std::uint32_t>{0, 5, 1, 2, 4, 3}));
}

TEST(ZigzagCipher, ComposedOrderEqualsTheThreeScramblesInTurn) {
  for (auto [rows, cols] : {std::pair{1u, 1u}, {1u, 40u}, {37u, 1u}, {5u, 7u}, {37u, 50u}, {64u, 64u}}) {
    for (std::uint32_t c : {0u, 1u, 5u, 77u, 200u, 383u}) {
      const zigzag::ScanPlan plan = zigzag::scan_plan(c);
      std::vector<std::uint16_t> x(std::size_t{rows} * cols), y(x.size());
      std::iota(x.begin(), x.end(), std::uint16_t{0});
      for (const auto& s : plan.scans) {
        ASSERT_TRUE(zigzag::scramble<std::uint16_t>(rows, cols, s, x, y, 1));
        x.swap(y);
      }
      const auto composed = zigzag::plan_order(rows, cols, plan).value();
      ASSERT_EQ(composed.size(), x.size());
      for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(composed[i], x[i]) << rows << "x" << cols << " plan " << c;
    }
  }
}

template <typename Word>
void round_trip(std::uint32_t rows, std::uint32_t cols, std::uint32_t samples) {
  std::mt19937 rng(rows * 1000 + cols + samples);
  const std::size_t n = std::size_t{rows} * cols * samples;
  std::vector<Word> plain(n), key(n), cipher(n), back(n), scratch(n);
  for (auto& v : plain) v = static_cast<Word>(rng());
  for (auto& v : key) v = static_cast<Word>(rng());
  const zigzag::ScanPlan plan = zigzag::scan_plan(rng());
  ASSERT_TRUE(zigzag::encrypt_frame<Word>(rows, cols, plan, plain, key, cipher, scratch, samples));
  // Encryption is the scramble of whole pixels by the composed order, then XOR with the key.
  const auto order = zigzag::plan_order(rows, cols, plan).value();
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::uint32_t s = 0; s < samples; ++s) {
      ASSERT_EQ(cipher[i * samples + s], static_cast<Word>(plain[std::size_t{order[i]} * samples + s] ^ key[i * samples + s]));
    }
  }
  ASSERT_TRUE(zigzag::decrypt_frame<Word>(rows, cols, plan, cipher, key, back, scratch, samples));
  EXPECT_EQ(back, plain);
}

TEST(ZigzagCipher, DecryptionIsExact) {
  round_trip<std::uint8_t>(1, 1, 1);
  round_trip<std::uint8_t>(37, 50, 1);
  round_trip<std::uint8_t>(31, 45, 3);
  round_trip<std::uint16_t>(64, 33, 1);
  round_trip<std::uint16_t>(20, 30, 3);
  // One pixel wide or high, RGB: a row's step is then a column's (the 16-column tiles must not take it).
  round_trip<std::uint8_t>(37, 1, 3);
  round_trip<std::uint8_t>(1, 40, 3);
  round_trip<std::uint16_t>(40, 1, 3);
  round_trip<std::uint16_t>(2, 1, 3);
}

TEST(ZigzagCipher, MisfitBuffersAreRefused) {
  std::vector<std::uint8_t> in(6), key(6), out(6), scratch(6), short_key(5), short_scratch(5);
  const zigzag::ScanPlan plan = zigzag::scan_plan(5);
  EXPECT_TRUE(zigzag::encrypt_frame<std::uint8_t>(2, 3, plan, in, key, out, scratch, 1));
  EXPECT_FALSE(zigzag::encrypt_frame<std::uint8_t>(2, 3, plan, in, short_key, out, scratch, 1));
  EXPECT_FALSE(zigzag::decrypt_frame<std::uint8_t>(2, 3, plan, in, key, out, short_scratch, 1));
  EXPECT_FALSE(zigzag::encrypt_frame<std::uint8_t>(2, 3, plan, in, key, out, scratch, 2));
  EXPECT_FALSE(zigzag::encrypt_frame<std::uint8_t>(3, 3, plan, in, key, out, scratch, 1));
  EXPECT_FALSE(zigzag::encrypt_frame<std::uint8_t>(2, 3, plan, in, key, in, scratch, 1));        // out overlaps in
  EXPECT_FALSE(zigzag::decrypt_frame<std::uint8_t>(2, 3, plan, in, key, out, std::span(in), 1));  // scratch overlaps in
  EXPECT_FALSE(zigzag::decrypt_frame<std::uint8_t>(2, 3, plan, in, key, out, std::span(out), 1));
}

}  // namespace
}  // namespace medcrypt
