// Paper 001's zigzag cipher on one frame: the image scrambled by its three zigzag patterns (vertical,
// horizontal, diagonal), in an order and from start corners the key chooses, then XORed with key words.
//
// The three scans compose into one permutation, so a frame is encrypted in one pass:
// out[i] = in[order[i]] XOR key[i] (whole pixels move; key words are per sample), and decrypted by the
// inverse scatter. A ScanPlan has 3! orders x 4^3 corners = 384 choices: 8.6 bits of key, no more.
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

// out[i] = in[order[i]] ^ key[i], sample by sample (`samples_per_pixel` words per pixel). in, out and key
// hold order.size() pixels each; in and out do not overlap.
template <typename Word>
Status encrypt_frame(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<const Word> key,
                     std::span<Word> out, std::uint32_t samples_per_pixel);
// The inverse: out[order[i]] = in[i] ^ key[i].
template <typename Word>
Status decrypt_frame(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<const Word> key,
                     std::span<Word> out, std::uint32_t samples_per_pixel);

}  // namespace medcrypt::zigzag
