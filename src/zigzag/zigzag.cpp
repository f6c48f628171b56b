#include "zigzag/zigzag.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace medcrypt::zigzag {

namespace {

bool valid(const Scan& scan) {
  return static_cast<unsigned>(scan.pattern) <= 2 && static_cast<unsigned>(scan.corner) <= 3;
}

template <typename Word>
Status check_buffers(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<Word> out,
                     std::uint32_t samples_per_pixel) {
  const std::uint64_t samples = std::uint64_t{order.size()} * samples_per_pixel;
  if (samples_per_pixel == 0 || in.size() != samples || out.size() != samples) {
    return make_error(ErrorCode::kInternal, fmt::format("zigzag: expected {} samples in and out, got {} and {}", samples,
                                                        in.size(), out.size()));
  }
  const auto* a = reinterpret_cast<const std::uint8_t*>(in.data());
  const auto* b = reinterpret_cast<const std::uint8_t*>(out.data());
  if (a < b + out.size_bytes() && b < a + in.size_bytes()) return make_error(ErrorCode::kInternal, "zigzag: in and out overlap");
  for (std::uint32_t i : order) {
    if (i >= order.size()) return make_error(ErrorCode::kInternal, "zigzag: the order is not a permutation of its pixels");
  }
  return {};
}

}  // namespace

std::string describe(const Scan& scan) {
  if (!valid(scan)) return "an unknown scan";
  static const char* const patterns[] = {"horizontal", "vertical", "diagonal"};
  static const char* const corners[] = {"top-left", "top-right", "bottom-left", "bottom-right"};
  return std::string(patterns[static_cast<int>(scan.pattern)]) + " from the " + corners[static_cast<int>(scan.corner)] +
         " corner";
}

Result<std::vector<std::uint32_t>> scan_order(std::uint32_t rows, std::uint32_t cols, const Scan& scan) {
  const std::uint64_t n = std::uint64_t{rows} * cols;
  if (n == 0) return make_error(ErrorCode::kUsage, "zigzag: the frame is empty");
  if (n > 0xFFFFFFFFu) return make_error(ErrorCode::kUsage, "zigzag: the frame has more than 2^32 - 1 samples");
  if (!valid(scan)) {
    return make_error(ErrorCode::kUsage, fmt::format("zigzag: unknown scan (pattern {}, corner {})",
                                                     static_cast<unsigned>(scan.pattern), static_cast<unsigned>(scan.corner)));
  }
  const bool flip_x = scan.corner == Corner::kTopRight || scan.corner == Corner::kBottomRight;
  const bool flip_y = scan.corner == Corner::kBottomLeft || scan.corner == Corner::kBottomRight;
  std::vector<std::uint32_t> order;
  order.reserve(n);
  auto visit = [&](std::uint32_t r, std::uint32_t c) {
    if (flip_y) r = rows - 1 - r;
    if (flip_x) c = cols - 1 - c;
    order.push_back(r * cols + c);
  };
  switch (scan.pattern) {
    case Pattern::kHorizontal:
      for (std::uint32_t r = 0; r < rows; ++r) {
        for (std::uint32_t i = 0; i < cols; ++i) visit(r, r % 2 == 0 ? i : cols - 1 - i);
      }
      break;
    case Pattern::kVertical:
      for (std::uint32_t c = 0; c < cols; ++c) {
        for (std::uint32_t i = 0; i < rows; ++i) visit(c % 2 == 0 ? i : rows - 1 - i, c);
      }
      break;
    case Pattern::kDiagonal:
      // Anti-diagonal s holds r + c = s; even s runs up-right (r falling), odd s down-left, as JPEG's.
      // 64-bit: rows + cols may exceed 2^32 - 1.
      for (std::uint64_t s = 0; s + 1 < std::uint64_t{rows} + cols; ++s) {
        const std::uint64_t r_min = s >= cols ? s - cols + 1 : 0, r_max = std::min<std::uint64_t>(s, rows - 1);
        for (std::uint64_t i = 0; i <= r_max - r_min; ++i) {
          const std::uint64_t r = s % 2 == 0 ? r_max - i : r_min + i;
          visit(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(s - r));
        }
      }
      break;
  }
  return order;
}

template <typename Word>
Status scramble(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<Word> out,
                std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_buffers(order, in, out, samples_per_pixel));
  const std::size_t bytes = std::size_t{samples_per_pixel} * sizeof(Word);
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::memcpy(out.data() + i * samples_per_pixel, in.data() + std::size_t{order[i]} * samples_per_pixel, bytes);
  }
  return {};
}

template <typename Word>
Status unscramble(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<Word> out,
                  std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_buffers(order, in, out, samples_per_pixel));
  const std::size_t bytes = std::size_t{samples_per_pixel} * sizeof(Word);
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::memcpy(out.data() + std::size_t{order[i]} * samples_per_pixel, in.data() + i * samples_per_pixel, bytes);
  }
  return {};
}

template Status scramble<std::uint8_t>(std::span<const std::uint32_t>, std::span<const std::uint8_t>,
                                       std::span<std::uint8_t>, std::uint32_t);
template Status scramble<std::uint16_t>(std::span<const std::uint32_t>, std::span<const std::uint16_t>,
                                        std::span<std::uint16_t>, std::uint32_t);
template Status unscramble<std::uint8_t>(std::span<const std::uint32_t>, std::span<const std::uint8_t>,
                                         std::span<std::uint8_t>, std::uint32_t);
template Status unscramble<std::uint16_t>(std::span<const std::uint32_t>, std::span<const std::uint16_t>,
                                          std::span<std::uint16_t>, std::uint32_t);

}  // namespace medcrypt::zigzag
