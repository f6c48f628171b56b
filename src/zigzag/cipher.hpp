// Paper 001's zigzag cipher on one frame: the image scrambled by its three zigzag patterns (vertical,
// horizontal, diagonal), in an order and from start corners the key chooses, then XORed with key words.
//
// The three scans compose into one permutation: out[i] = in[order[i]] XOR key[i] (whole pixels move; key
// words are per sample). A frame is still scrambled scan by scan, three passes (rows; blocks of columns or
// diagonals): the composed order scatters every sample to an unrelated cache line, and building it costs
// more than the three passes together (docs/BENCHMARKS.md, zigzag-gan). A ScanPlan has 3! orders x 4^3
// corners = 384 choices: 8.6 bits of key, no more.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "zigzag/zigzag.hpp"

namespace medcrypt::zigzag {

inline constexpr std::uint32_t kScanPlans = 384;

struct ScanPlan {
  std::array<Scan, 3> scans;  // applied in this order
};

// Plan `choice` % 384: the order of (horizontal, vertical, diagonal) is permutation choice % 6 in
// lexicographic order, the corners are the base-4 digits of choice / 6, the first scan's lowest.
ScanPlan scan_plan(std::uint32_t choice);

// The composed permutation of a rows x cols frame (in pixels): scrambling by the plan's three scans in
// turn is out[i] = in[order[i]].
Result<std::vector<std::uint32_t>> plan_order(std::uint32_t rows, std::uint32_t cols, const ScanPlan& plan);

// out[i] = in[order[i]] ^ key[i], sample by sample (`samples_per_pixel` words per pixel), for the plan's
// composed order of a rows x cols frame. in, key, out and scratch (the passes' working space) hold rows x
// cols pixels each; in, out and scratch do not overlap.
template <typename Word>
Status encrypt_frame(std::uint32_t rows, std::uint32_t cols, const ScanPlan& plan, std::span<const Word> in,
                     std::span<const Word> key, std::span<Word> out, std::span<Word> scratch,
                     std::uint32_t samples_per_pixel);
// The inverse: out[order[i]] = in[i] ^ key[i].
template <typename Word>
Status decrypt_frame(std::uint32_t rows, std::uint32_t cols, const ScanPlan& plan, std::span<const Word> in,
                     std::span<const Word> key, std::span<Word> out, std::span<Word> scratch,
                     std::uint32_t samples_per_pixel);

}  // namespace medcrypt::zigzag
