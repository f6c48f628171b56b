#include "zigzag/zigzag.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

namespace medcrypt::zigzag {

namespace {

bool valid(const Scan& scan) {
  return static_cast<unsigned>(scan.pattern) <= 2 && static_cast<unsigned>(scan.corner) <= 3;
}

Status check_frame(std::uint32_t rows, std::uint32_t cols, const Scan& scan) {
  const std::uint64_t n = std::uint64_t{rows} * cols;
  if (n == 0) return make_error(ErrorCode::kUsage, "zigzag: the frame is empty");
  if (n > 0xFFFFFFFFu) return make_error(ErrorCode::kUsage, "zigzag: the frame has more than 2^32 - 1 samples");
  if (!valid(scan)) {
    return make_error(ErrorCode::kUsage, fmt::format("zigzag: unknown scan (pattern {}, corner {})",
                                                     static_cast<unsigned>(scan.pattern), static_cast<unsigned>(scan.corner)));
  }
  return {};
}

// A scan is a run of lines (rows, columns or anti-diagonals): line(start, step, count) visits the pixels
// start, start + step, ..., start + (count - 1) * step, row-major. Every use of a scan's geometry goes
// through here, so the order, the scramble and its inverse cannot disagree.
template <typename Line>
void for_each_line(std::uint32_t rows, std::uint32_t cols, const Scan& scan, Line&& line) {
  const bool flip_x = scan.corner == Corner::kTopRight || scan.corner == Corner::kBottomRight;
  const bool flip_y = scan.corner == Corner::kBottomLeft || scan.corner == Corner::kBottomRight;
  const std::int64_t w = cols, h = rows;
  // The pixel at (r, c) of the unflipped scan, and a move by (dr, dc) in it, in row-major terms.
  auto at = [&](std::int64_t r, std::int64_t c) { return (flip_y ? h - 1 - r : r) * w + (flip_x ? w - 1 - c : c); };
  auto step = [&](std::int64_t dr, std::int64_t dc) { return (flip_y ? -dr : dr) * w + (flip_x ? -dc : dc); };
  switch (scan.pattern) {
    case Pattern::kHorizontal:  // even rows rightwards, odd rows leftwards
      for (std::int64_t r = 0; r < h; ++r) {
        const bool even = r % 2 == 0;
        line(at(r, even ? 0 : w - 1), step(0, even ? 1 : -1), cols);
      }
      break;
    case Pattern::kVertical:  // even columns downwards, odd columns upwards
      for (std::int64_t c = 0; c < w; ++c) {
        const bool even = c % 2 == 0;
        line(at(even ? 0 : h - 1, c), step(even ? 1 : -1, 0), rows);
      }
      break;
    case Pattern::kDiagonal:
      // Anti-diagonal s holds r + c = s; even s runs up-right (r falling), odd s down-left, as JPEG's.
      for (std::int64_t s = 0; s + 1 < h + w; ++s) {
        const std::int64_t r_min = s >= w ? s - w + 1 : 0, r_max = std::min(s, h - 1);
        const bool even = s % 2 == 0;
        const std::int64_t r = even ? r_max : r_min, dr = even ? -1 : 1;
        line(at(r, s - r), step(dr, -dr), static_cast<std::uint32_t>(r_max - r_min + 1));
      }
      break;
  }
}

// Scrambles (out[i] = in[order[i]]) or unscrambles (out[order[i]] = in[i]) line by line, without an order
// array. One side of a line is contiguous; the other is too for a row (a copy, forwards or reversed), and
// for columns, which stride across the frame, kColumns of them move together (a blocked transpose) so the
// cache lines a column touches serve the next ones. A diagonal's strided side stays within a cache line of
// the diagonal before it.
template <typename Word, bool kInverse>
void move_pixels(std::uint32_t rows, std::uint32_t cols, const Scan& scan, const Word* in, Word* out,
                 std::uint32_t samples_per_pixel) {
  constexpr std::size_t kColumns = 16;
  struct Line {
    const Word* from;
    Word* to;
    std::ptrdiff_t from_step, to_step;
  };
  const std::ptrdiff_t spp = samples_per_pixel;
  // Pixels k0 to k1 of a line; by value, so the compiler keeps the line in registers (a Word store may
  // alias anything).
  auto move = [spp](const Line l, std::ptrdiff_t k0, std::ptrdiff_t k1) {
    if (spp == 1) {
      for (std::ptrdiff_t k = k0; k < k1; ++k) l.to[k * l.to_step] = l.from[k * l.from_step];
    } else {
      for (std::ptrdiff_t k = k0; k < k1; ++k) std::memcpy(l.to + k * l.to_step, l.from + k * l.from_step, spp * sizeof(Word));
    }
  };
  std::array<Line, kColumns> group;
  std::size_t grouped = 0;
  auto flush = [&] {  // kColumns x kColumns tiles
    for (std::ptrdiff_t k0 = 0; k0 < rows; k0 += kColumns) {
      const std::ptrdiff_t k1 = std::min<std::ptrdiff_t>(k0 + kColumns, rows);
      for (std::size_t j = 0; j < grouped; ++j) move(group[j], k0, k1);
    }
    grouped = 0;
  };
  std::ptrdiff_t i = 0;  // pixels visited so far
  for_each_line(rows, cols, scan, [&](std::int64_t start, std::int64_t step, std::uint32_t count) {
    const Line l{kInverse ? in + i * spp : in + start * spp, kInverse ? out + start * spp : out + i * spp,
                 kInverse ? spp : step * spp, kInverse ? step * spp : spp};
    i += count;
    if (step == 1) {  // a row, forwards
      std::memcpy(l.to, l.from, std::size_t{count} * spp * sizeof(Word));
    } else if (step == -1 && spp == 1) {  // a grey row, reversed
      if constexpr (kInverse) {
        std::reverse_copy(l.from, l.from + count, l.to - (count - 1));
      } else {
        std::reverse_copy(l.from - (count - 1), l.from + 1, l.to);
      }
    } else if ((step == cols || step == -std::int64_t{cols}) && count == rows) {
      // A whole column (in an N x 1 frame a row's step is +-cols too): columns move together.
      if (grouped == kColumns) flush();
      group[grouped++] = l;
    } else {  // an RGB row reversed, or a diagonal
      move(l, 0, count);
    }
  });
  flush();
}

template <typename Word>
Status check_buffers(std::uint32_t rows, std::uint32_t cols, const Scan& scan, std::span<const Word> in,
                     std::span<Word> out, std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_frame(rows, cols, scan));
  const std::uint64_t samples = std::uint64_t{rows} * cols * samples_per_pixel;
  if (samples_per_pixel == 0 || in.size() != samples || out.size() != samples) {
    return make_error(ErrorCode::kInternal, fmt::format("zigzag: expected {} samples in and out, got {} and {}", samples,
                                                        in.size(), out.size()));
  }
  if (overlap(in, out)) return make_error(ErrorCode::kInternal, "zigzag: in and out overlap");
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
  MEDCRYPT_TRY(check_frame(rows, cols, scan));
  std::vector<std::uint32_t> order;
  order.reserve(std::size_t{rows} * cols);
  for_each_line(rows, cols, scan, [&](std::int64_t start, std::int64_t step, std::uint32_t count) {
    for (std::int64_t k = 0; k < count; ++k) order.push_back(static_cast<std::uint32_t>(start + k * step));
  });
  return order;
}

template <typename Word>
Status scramble(std::uint32_t rows, std::uint32_t cols, const Scan& scan, std::span<const Word> in, std::span<Word> out,
                std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_buffers(rows, cols, scan, in, out, samples_per_pixel));
  move_pixels<Word, false>(rows, cols, scan, in.data(), out.data(), samples_per_pixel);
  return {};
}

template <typename Word>
Status unscramble(std::uint32_t rows, std::uint32_t cols, const Scan& scan, std::span<const Word> in,
                  std::span<Word> out, std::uint32_t samples_per_pixel) {
  MEDCRYPT_TRY(check_buffers(rows, cols, scan, in, out, samples_per_pixel));
  move_pixels<Word, true>(rows, cols, scan, in.data(), out.data(), samples_per_pixel);
  return {};
}

template Status scramble<std::uint8_t>(std::uint32_t, std::uint32_t, const Scan&, std::span<const std::uint8_t>, std::span<std::uint8_t>,
                         std::uint32_t);
template Status unscramble<std::uint8_t>(std::uint32_t, std::uint32_t, const Scan&, std::span<const std::uint8_t>, std::span<std::uint8_t>,
                           std::uint32_t);
template Status scramble<std::uint16_t>(std::uint32_t, std::uint32_t, const Scan&, std::span<const std::uint16_t>, std::span<std::uint16_t>,
                         std::uint32_t);
template Status unscramble<std::uint16_t>(std::uint32_t, std::uint32_t, const Scan&, std::span<const std::uint16_t>, std::span<std::uint16_t>,
                           std::uint32_t);

}  // namespace medcrypt::zigzag
