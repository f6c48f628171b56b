#include "zigzag/zigzag.hpp"

#include <algorithm>
#include <cstring>

namespace medcrypt::zigzag {

std::string describe(const Scan& scan) {
  static const char* const patterns[] = {"horizontal", "vertical", "diagonal"};
  static const char* const corners[] = {"top-left", "top-right", "bottom-left", "bottom-right"};
  return std::string(patterns[static_cast<int>(scan.pattern)]) + " from the " + corners[static_cast<int>(scan.corner)] +
         " corner";
}

Result<std::vector<std::uint32_t>> scan_order(std::uint32_t rows, std::uint32_t cols, const Scan& scan) {
  const std::uint64_t n = std::uint64_t{rows} * cols;
  if (n == 0) return make_error(ErrorCode::kUsage, "zigzag: the frame is empty");
  if (n > 0xFFFFFFFFu) return make_error(ErrorCode::kUsage, "zigzag: the frame has more than 2^32 - 1 samples");
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
      for (std::uint32_t s = 0; s + 1 < rows + cols; ++s) {
        const std::uint32_t r_min = s >= cols ? s - cols + 1 : 0, r_max = std::min(s, rows - 1);
        for (std::uint32_t i = 0; i <= r_max - r_min; ++i) {
          const std::uint32_t r = s % 2 == 0 ? r_max - i : r_min + i;
          visit(r, s - r);
        }
      }
      break;
  }
  return order;
}

template <typename Word>
void scramble(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<Word> out,
              std::uint32_t samples_per_pixel) {
  const std::size_t bytes = std::size_t{samples_per_pixel} * sizeof(Word);
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::memcpy(out.data() + i * samples_per_pixel, in.data() + std::size_t{order[i]} * samples_per_pixel, bytes);
  }
}

template <typename Word>
void unscramble(std::span<const std::uint32_t> order, std::span<const Word> in, std::span<Word> out,
                std::uint32_t samples_per_pixel) {
  const std::size_t bytes = std::size_t{samples_per_pixel} * sizeof(Word);
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::memcpy(out.data() + std::size_t{order[i]} * samples_per_pixel, in.data() + i * samples_per_pixel, bytes);
  }
}

template void scramble<std::uint8_t>(std::span<const std::uint32_t>, std::span<const std::uint8_t>,
                                     std::span<std::uint8_t>, std::uint32_t);
template void scramble<std::uint16_t>(std::span<const std::uint32_t>, std::span<const std::uint16_t>,
                                      std::span<std::uint16_t>, std::uint32_t);
template void unscramble<std::uint8_t>(std::span<const std::uint32_t>, std::span<const std::uint8_t>,
                                       std::span<std::uint8_t>, std::uint32_t);
template void unscramble<std::uint16_t>(std::span<const std::uint32_t>, std::span<const std::uint16_t>,
                                        std::span<std::uint16_t>, std::uint32_t);

}  // namespace medcrypt::zigzag
