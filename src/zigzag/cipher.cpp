#include "zigzag/cipher.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace medcrypt::zigzag {
namespace {

// The scrambles check in and out against the frame; this checks the key and the scratch space.
template <typename Word>
Status check_sizes(std::span<const Word> in, std::span<const Word> key, std::span<Word> out, std::span<Word> scratch) {
  if (key.size() != in.size() || scratch.size() != in.size()) {
    return make_error(ErrorCode::kInternal, fmt::format("zigzag cipher: expected {} samples of key and scratch", in.size()));
  }
  if (overlap(scratch, in) || overlap(scratch, out)) {
    return make_error(ErrorCode::kInternal, "zigzag cipher: the scratch space overlaps in or out");
  }
  return {};
}

}  // namespace

ScanPlan scan_plan(std::uint32_t choice) {
  choice %= kScanPlans;
  std::array<Pattern, 3> patterns{Pattern::kHorizontal, Pattern::kVertical, Pattern::kDiagonal};
  for (std::uint32_t i = 0; i < choice % 6; ++i) std::next_permutation(patterns.begin(), patterns.end());
  std::uint32_t corners = choice / 6;
  ScanPlan plan;
  for (std::size_t i = 0; i < 3; ++i, corners /= 4) plan.scans[i] = Scan{patterns[i], static_cast<Corner>(corners % 4)};
  return plan;
}

Result<std::vector<std::uint32_t>> plan_order(std::uint32_t rows, std::uint32_t cols, const ScanPlan& plan) {
  // Scrambling by a, then b, then c gives out[i] = in[a[b[c[i]]]].
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::uint32_t> order, scan_order(rows, cols, plan.scans[0]));
  for (std::size_t s = 1; s < 3; ++s) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::uint32_t> next, scan_order(rows, cols, plan.scans[s]));
    for (std::uint32_t& v : next) v = order[v];
    order = std::move(next);
  }
  return order;
}

template <typename Word>
Status encrypt_frame(std::uint32_t rows, std::uint32_t cols, const ScanPlan& plan, std::span<const Word> in,
                     std::span<const Word> key, std::span<Word> out, std::span<Word> scratch,
                     std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_sizes(in, key, out, scratch));
  const auto [a, b, c] = plan.scans;
  MEDCRYPT_TRY(scramble<Word>(rows, cols, a, in, out, samples_per_pixel));
  MEDCRYPT_TRY(scramble<Word>(rows, cols, b, out, scratch, samples_per_pixel));
  MEDCRYPT_TRY(scramble<Word>(rows, cols, c, scratch, out, samples_per_pixel));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] ^= key[i];
  return {};
}

template <typename Word>
Status decrypt_frame(std::uint32_t rows, std::uint32_t cols, const ScanPlan& plan, std::span<const Word> in,
                     std::span<const Word> key, std::span<Word> out, std::span<Word> scratch,
                     std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_sizes(in, key, out, scratch));
  const auto [a, b, c] = plan.scans;
  for (std::size_t i = 0; i < scratch.size(); ++i) scratch[i] = static_cast<Word>(in[i] ^ key[i]);
  MEDCRYPT_TRY(unscramble<Word>(rows, cols, c, scratch, out, samples_per_pixel));
  MEDCRYPT_TRY(unscramble<Word>(rows, cols, b, out, scratch, samples_per_pixel));
  return unscramble<Word>(rows, cols, a, scratch, out, samples_per_pixel);
}

template Status encrypt_frame<std::uint8_t>(std::uint32_t, std::uint32_t, const ScanPlan&, std::span<const std::uint8_t>,
                                            std::span<const std::uint8_t>, std::span<std::uint8_t>, std::span<std::uint8_t>, std::uint32_t);
template Status encrypt_frame<std::uint16_t>(std::uint32_t, std::uint32_t, const ScanPlan&, std::span<const std::uint16_t>,
                                             std::span<const std::uint16_t>, std::span<std::uint16_t>, std::span<std::uint16_t>, std::uint32_t);
template Status decrypt_frame<std::uint8_t>(std::uint32_t, std::uint32_t, const ScanPlan&, std::span<const std::uint8_t>,
                                            std::span<const std::uint8_t>, std::span<std::uint8_t>, std::span<std::uint8_t>, std::uint32_t);
template Status decrypt_frame<std::uint16_t>(std::uint32_t, std::uint32_t, const ScanPlan&, std::span<const std::uint16_t>,
                                             std::span<const std::uint16_t>, std::span<std::uint16_t>, std::span<std::uint16_t>, std::uint32_t);

}  // namespace medcrypt::zigzag
