// Zigzag scans of a frame, paper 001's three scrambling patterns: vertical, horizontal and diagonal.
//
// A scan visits every sample of a rows x cols frame once:
//  - horizontal: row by row, each row in the opposite direction of the one before (boustrophedon);
//  - vertical: the same by columns;
//  - diagonal: JPEG's zigzag, anti-diagonal by anti-diagonal, alternating direction, starting rightwards.
// The start corner reflects the scan: the pattern from the top-left corner, mirrored left-right and/or
// top-bottom. Scrambling by a scan writes the samples in visiting order: out[i] = in[order[i]].
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace medcrypt::zigzag {

enum class Pattern : std::uint8_t { kHorizontal = 0, kVertical = 1, kDiagonal = 2 };
enum class Corner : std::uint8_t { kTopLeft = 0, kTopRight = 1, kBottomLeft = 2, kBottomRight = 3 };

struct Scan {
  Pattern pattern = Pattern::kHorizontal;
  Corner corner = Corner::kTopLeft;
};

std::string describe(const Scan& scan);  // "diagonal from the bottom-right corner"

// order[i] is the row-major index of the i-th sample the scan visits. Fails (kUsage) on an empty frame, one
// of more than 2^32 - 1 samples, or a pattern or corner outside the enums (read from a header).
Result<std::vector<std::uint32_t>> scan_order(std::uint32_t rows, std::uint32_t cols, const Scan& scan);

// Whether two buffers share a byte: the scrambles and the cipher need distinct ones.
template <typename A, typename B>
bool overlap(std::span<A> a, std::span<B> b) {
  const auto* x = reinterpret_cast<const std::uint8_t*>(a.data());
  const auto* y = reinterpret_cast<const std::uint8_t*>(b.data());
  return x < y + b.size_bytes() && y < x + a.size_bytes();
}

// Scrambling by a scan: out[i] = in[order[i]] for every sample of `samples_per_pixel` words (an RGB pixel
// moves whole), row by row or block by block, without building the order. Fails (kUsage) as scan_order does, and
// (kInternal) unless in and out hold rows x cols pixels each and do not overlap.
template <typename Word>
Status scramble(std::uint32_t rows, std::uint32_t cols, const Scan& scan, std::span<const Word> in, std::span<Word> out,
                std::uint32_t samples_per_pixel);
// The inverse: out[order[i]] = in[i].
template <typename Word>
Status unscramble(std::uint32_t rows, std::uint32_t cols, const Scan& scan, std::span<const Word> in,
                  std::span<Word> out, std::uint32_t samples_per_pixel);

}  // namespace medcrypt::zigzag
