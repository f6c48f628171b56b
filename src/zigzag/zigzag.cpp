#include "zigzag/zigzag.hpp"

#include <algorithm>
#include <array>
#include <bit>
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

// Transposes the 8x8 bytes m[row] (byte c of m[row], little-endian, is column c): on return m[c] holds
// column c. Three rounds swap 4x4, 2x2 and 1x1 blocks across the diagonal with shifts and masks.
template <int kShift, std::uint64_t kMask>
[[gnu::always_inline]] inline void swap_blocks(std::uint64_t& a, std::uint64_t& b) {
  const std::uint64_t t = ((a >> kShift) ^ b) & kMask;
  b ^= t;
  a ^= t << kShift;
}
[[gnu::always_inline]] inline void transpose8x8(std::array<std::uint64_t, 8>& m) {
  constexpr std::uint64_t k4 = 0x00000000FFFFFFFFull, k2 = 0x0000FFFF0000FFFFull, k1 = 0x00FF00FF00FF00FFull;
  // Written out: GCC at -O2 does not unroll these loops, and the words then live in memory.
  swap_blocks<32, k4>(m[0], m[4]);  // 4x4 blocks
  swap_blocks<32, k4>(m[1], m[5]);
  swap_blocks<32, k4>(m[2], m[6]);
  swap_blocks<32, k4>(m[3], m[7]);
  swap_blocks<16, k2>(m[0], m[2]);  // 2x2 blocks
  swap_blocks<16, k2>(m[1], m[3]);
  swap_blocks<16, k2>(m[4], m[6]);
  swap_blocks<16, k2>(m[5], m[7]);
  swap_blocks<8, k1>(m[0], m[1]);  // bytes
  swap_blocks<8, k1>(m[2], m[3]);
  swap_blocks<8, k1>(m[4], m[5]);
  swap_blocks<8, k1>(m[6], m[7]);
}

// 8 bytes at p, byte-reversed if `reversed`, as one little-endian word.
std::uint64_t load8(const std::uint8_t* p, bool reversed) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return reversed ? __builtin_bswap64(v) : v;
}
void store8(std::uint8_t* p, std::uint64_t v, bool reversed) {
  if (reversed) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// Whole columns of one-byte samples, 8 adjacent ones (line j is column first + j * dc, dc = +-1), in
// 8x8 blocks: a line's contiguous side holds 8 bytes of a column (reversed where the line runs upwards),
// the frame's rows 8 bytes of the block each (reversed where the columns run leftwards), and a transpose
// turns the ones into the others. Rows below the last whole block go through `rest` (pixels k0 to k1 of a
// line). Returns false, having moved nothing, where the 8 lines are not such columns.
template <bool kInverse, typename Line, typename Rest>
bool move_columns8(const Line* lines, const std::uint8_t* in, std::uint8_t* out, std::uint32_t rows,
                   std::uint32_t cols, Rest&& rest) {
  if constexpr (std::endian::native != std::endian::little) return false;
  const std::uint8_t* frame = kInverse ? out : in;  // the side whose lines are columns
  std::array<std::ptrdiff_t, 8> column{};
  std::array<bool, 8> upwards{};
  for (std::size_t j = 0; j < 8; ++j) {
    const std::ptrdiff_t step = kInverse ? lines[j].to_step : lines[j].from_step;
    upwards[j] = step < 0;
    column[j] = ((kInverse ? lines[j].to : lines[j].from) - frame) % cols;
  }
  const std::ptrdiff_t dc = column[1] - column[0];
  if (dc != 1 && dc != -1) return false;
  for (std::size_t j = 1; j < 8; ++j) {
    if (column[j] - column[j - 1] != dc) return false;
  }
  const bool leftwards = dc < 0;
  const std::ptrdiff_t left = std::min(column[0], column[7]);
  const std::ptrdiff_t h = rows, blocks = h / 8;
  // Rows r to r + 7 are pixels r.. of a downward line, and pixels h - 8 - r.. (in reverse) of an upward one.
  auto pixel = [&](std::size_t j, std::ptrdiff_t r) { return upwards[j] ? h - 8 - r : r; };
  std::array<std::uint64_t, 8> m;
  for (std::ptrdiff_t r = 0; r < 8 * blocks; r += 8) {
    if constexpr (kInverse) {
      for (std::size_t j = 0; j < 8; ++j) m[j] = load8(lines[j].from + pixel(j, r), upwards[j]);
      transpose8x8(m);
      for (std::ptrdiff_t t = 0; t < 8; ++t) store8(out + (r + t) * cols + left, m[t], leftwards);
    } else {
      for (std::ptrdiff_t t = 0; t < 8; ++t) m[t] = load8(in + (r + t) * cols + left, leftwards);
      transpose8x8(m);
      for (std::size_t j = 0; j < 8; ++j) store8(lines[j].to + pixel(j, r), m[j], upwards[j]);
    }
  }
  for (std::size_t j = 0; j < 8; ++j) {
    if (upwards[j]) {
      rest(lines[j], 0, h - 8 * blocks);
    } else {
      rest(lines[j], 8 * blocks, h);
    }
  }
  return true;
}

// Scrambles (out[i] = in[order[i]]) or unscrambles (out[order[i]] = in[i]) line by line, without an order
// array. One side of a line is contiguous; the other is too for a row (a copy, forwards or reversed), and
// for columns, which stride across the frame, kColumns of them move together (a blocked transpose; 8x8
// transposes in 64-bit words for one-byte samples) so the cache lines a column touches serve the next
// ones. A diagonal's strided side stays within a cache line of the diagonal before it.
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
  auto flush = [&] {  // one-byte samples in 8x8 transposes where they can, the rest in kColumns x kColumns tiles
    std::size_t first = 0;
    if constexpr (sizeof(Word) == 1) {
      while (spp == 1 && first + 8 <= grouped &&
             move_columns8<kInverse>(group.data() + first, in, out, rows, cols, move)) {
        first += 8;
      }
    }
    for (std::ptrdiff_t k0 = 0; k0 < rows; k0 += kColumns) {
      const std::ptrdiff_t k1 = std::min<std::ptrdiff_t>(k0 + kColumns, rows);
      for (std::size_t j = first; j < grouped; ++j) move(group[j], k0, k1);
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
