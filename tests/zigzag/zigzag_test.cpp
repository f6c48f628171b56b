// Zigzag scans: hand-counted orders for a 3x4 frame, JPEG's published 8x8 zigzag table, every scan a
// permutation on odd and degenerate geometries, and scrambling undone exactly with whole RGB pixels.
#include "zigzag/zigzag.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace medcrypt {
namespace {

using zigzag::Corner;
using zigzag::Pattern;
using zigzag::Scan;

std::vector<std::uint32_t> order(std::uint32_t rows, std::uint32_t cols, Pattern p, Corner c) {
  return zigzag::scan_order(rows, cols, {p, c}).value();
}

// Counted by hand on the frame   0  1  2  3
//                                4  5  6  7
//                                8  9 10 11
TEST(Zigzag, KnownOrdersOfASmallFrame) {
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(order(3, 4, Pattern::kHorizontal, Corner::kTopLeft), (V{0, 1, 2, 3, 7, 6, 5, 4, 8, 9, 10, 11}));
  EXPECT_EQ(order(3, 4, Pattern::kVertical, Corner::kTopLeft), (V{0, 4, 8, 9, 5, 1, 2, 6, 10, 11, 7, 3}));
  EXPECT_EQ(order(3, 4, Pattern::kDiagonal, Corner::kTopLeft), (V{0, 1, 4, 8, 5, 2, 3, 6, 9, 10, 7, 11}));
  EXPECT_EQ(order(3, 4, Pattern::kHorizontal, Corner::kBottomRight), (V{11, 10, 9, 8, 4, 5, 6, 7, 3, 2, 1, 0}));
  EXPECT_EQ(order(3, 4, Pattern::kVertical, Corner::kTopRight), (V{3, 7, 11, 10, 6, 2, 1, 5, 9, 8, 4, 0}));
  EXPECT_EQ(order(3, 4, Pattern::kDiagonal, Corner::kBottomLeft), (V{8, 9, 4, 0, 5, 10, 11, 6, 1, 2, 7, 3}));
  EXPECT_EQ(zigzag::describe({Pattern::kDiagonal, Corner::kBottomRight}), "diagonal from the bottom-right corner");
}

// The diagonal scan from the top-left corner is JPEG's zigzag (ITU-T T.81, Figure 5): the row-major index
// of each of the 64 coefficients in zigzag order.
TEST(Zigzag, DiagonalIsJpegsZigzag) {
  const std::vector<std::uint32_t> jpeg = {
      0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48,
      41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
      30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};
  EXPECT_EQ(order(8, 8, Pattern::kDiagonal, Corner::kTopLeft), jpeg);
}

TEST(Zigzag, EveryScanIsAPermutation) {
  for (auto [rows, cols] : {std::pair{1u, 1u}, {1u, 7u}, {7u, 1u}, {5u, 3u}, {3u, 5u}, {17u, 64u}, {64u, 17u}}) {
    for (int p = 0; p < 3; ++p) {
      for (int c = 0; c < 4; ++c) {
        std::vector<std::uint32_t> o = order(rows, cols, Pattern(p), Corner(c));
        std::sort(o.begin(), o.end());
        std::vector<std::uint32_t> all(std::size_t{rows} * cols);
        std::iota(all.begin(), all.end(), 0u);
        EXPECT_EQ(o, all) << rows << "x" << cols << " " << zigzag::describe({Pattern(p), Corner(c)});
      }
    }
  }
}

TEST(Zigzag, ScramblingIsUndoneExactlyAndMovesWholePixels) {
  const std::uint32_t rows = 13, cols = 9, samples = 3;
  std::mt19937 rng(5);
  std::vector<std::uint16_t> plain(std::size_t{rows} * cols * samples);
  for (auto& x : plain) x = static_cast<std::uint16_t>(rng());
  for (int p = 0; p < 3; ++p) {
    const std::vector<std::uint32_t> o = order(rows, cols, Pattern(p), Corner::kBottomRight);
    std::vector<std::uint16_t> scrambled(plain.size()), back(plain.size());
    ASSERT_TRUE(zigzag::scramble<std::uint16_t>(rows, cols, {Pattern(p), Corner::kBottomRight}, plain, scrambled, samples));
    EXPECT_NE(scrambled, plain);
    for (std::size_t i = 0; i < o.size(); ++i) {
      for (std::uint32_t s = 0; s < samples; ++s) EXPECT_EQ(scrambled[i * samples + s], plain[o[i] * samples + s]);
    }
    ASSERT_TRUE(zigzag::unscramble<std::uint16_t>(rows, cols, {Pattern(p), Corner::kBottomRight}, scrambled, back, samples));
    EXPECT_EQ(back, plain);
  }
}

// Grey frames move columns and diagonals in 16 x 16 (one-byte) or 8 x 8 (two-byte) blocks and their ends
// pixel by pixel: every scan from every corner, on frames whose sides are and are not multiples of the
// block, narrower and wider than a diagonal block needs (2N - 1), against the order.
template <typename Word>
void expect_grey_scans_agree_with_the_order() {
  std::mt19937 rng(11);
  for (auto [rows, cols] : {std::pair{8u, 8u}, {16u, 16u}, {64u, 64u}, {37u, 50u}, {50u, 37u}, {7u, 23u}, {17u, 9u},
                            {16u, 1u}, {1u, 40u}, {31u, 31u}, {32u, 30u}, {100u, 77u}, {77u, 100u}, {200u, 33u},
                            {33u, 200u}, {15u, 300u}, {48u, 48u}}) {
    std::vector<Word> plain(std::size_t{rows} * cols);
    for (auto& x : plain) x = static_cast<Word>(rng());
    for (int p = 0; p < 3; ++p) {
      for (int c = 0; c < 4; ++c) {
        const Scan scan{Pattern(p), Corner(c)};
        const std::vector<std::uint32_t> o = order(rows, cols, scan.pattern, scan.corner);
        std::vector<Word> scrambled(plain.size()), back(plain.size());
        ASSERT_TRUE(zigzag::scramble<Word>(rows, cols, scan, plain, scrambled, 1));
        for (std::size_t i = 0; i < o.size(); ++i) {
          ASSERT_EQ(scrambled[i], plain[o[i]]) << rows << "x" << cols << " " << zigzag::describe(scan) << " at " << i;
        }
        ASSERT_TRUE(zigzag::unscramble<Word>(rows, cols, scan, scrambled, back, 1));
        ASSERT_EQ(back, plain) << rows << "x" << cols << " " << zigzag::describe(scan);
      }
    }
  }
}
TEST(Zigzag, OneByteScansAgreeWithTheOrderOnEveryGeometry) { expect_grey_scans_agree_with_the_order<std::uint8_t>(); }
TEST(Zigzag, TwoByteScansAgreeWithTheOrderOnEveryGeometry) { expect_grey_scans_agree_with_the_order<std::uint16_t>(); }

// An empty frame, a pattern or corner outside the enums (as a corrupt header would give), and buffers that
// do not fit the frame or overlap are errors, never an empty order or a write out of bounds.
TEST(Zigzag, RefusesWhatIsNotAScan) {
  EXPECT_EQ(zigzag::scan_order(0, 5, {}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(zigzag::scan_order(5, 0, {}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(zigzag::scan_order(4, 4, {Pattern(3), Corner::kTopLeft}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(zigzag::scan_order(4, 4, {Pattern::kDiagonal, Corner(4)}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(zigzag::describe({Pattern(9), Corner::kTopLeft}), "an unknown scan");

  const Scan v{Pattern::kVertical, Corner::kTopLeft};
  std::vector<std::uint8_t> in(6, 1), out(6), short_out(5);
  EXPECT_TRUE(zigzag::scramble<std::uint8_t>(2, 3, v, in, out, 1));
  EXPECT_EQ(zigzag::scramble<std::uint8_t>(2, 3, v, in, short_out, 1).error().code, ErrorCode::kInternal);
  EXPECT_EQ(zigzag::unscramble<std::uint8_t>(2, 3, v, in, out, 3).error().code, ErrorCode::kInternal);
  EXPECT_EQ(zigzag::scramble<std::uint8_t>(2, 3, v, in, std::span<std::uint8_t>(in), 1).error().code, ErrorCode::kInternal);
  EXPECT_EQ(zigzag::unscramble<std::uint8_t>(3, 2, {Pattern(3), Corner::kTopLeft}, in, out, 1).error().code, ErrorCode::kUsage);
  EXPECT_EQ(zigzag::scramble<std::uint8_t>(0, 3, v, {}, {}, 1).error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace medcrypt
