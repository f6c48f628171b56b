#include "zigzag/zigzag.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "core/vector_clones.hpp"


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
// start, start + step, ..., start + (count - 1) * step, row-major. The order and the line-by-line moves
// go through here; Blocks (grey columns and diagonals) restates the geometry block by block, and the
// tests hold it to the order on every corner and many geometries.
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

// 16-byte vectors of one- or two-byte lanes, in the vector extensions GCC and Clang share: SSE2's unpack
// and shuffle instructions on x86-64 (AVX2's and AVX-512's in their clones), NEON on ARM. A vector holds
// kPart lanes, one row of a kPart x kPart block.
template <typename Word>
struct Vector {
  static constexpr std::size_t kPart = 16 / sizeof(Word);
  typedef Word type __attribute__((vector_size(16)));

  // a0 b0 a1 b1 ... from the low halves of a and b (kHigh: from the high halves).
  template <bool kHigh>
  struct Interleave {
    static constexpr std::size_t at(std::size_t i) { return (kHigh ? kPart / 2 : 0) + i / 2 + (i % 2 == 1 ? kPart : 0); }
  };
  struct Reversed {
    static constexpr std::size_t at(std::size_t i) { return kPart - 1 - i; }
  };
  template <typename Map, std::size_t... I>
  [[gnu::always_inline]] static type shuffle(type a, type b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, Map::at(I)...);
  }
  [[gnu::always_inline]] static type low(type a, type b) {
    return shuffle<Interleave<false>>(a, b, std::make_index_sequence<kPart>{});
  }
  [[gnu::always_inline]] static type high(type a, type b) {
    return shuffle<Interleave<true>>(a, b, std::make_index_sequence<kPart>{});
  }
  [[gnu::always_inline]] static type reversed(type a) { return shuffle<Reversed>(a, a, std::make_index_sequence<kPart>{}); }

  [[gnu::always_inline]] static type load(const Word* p, bool reversed_lanes) {
    type v;
    std::memcpy(&v, p, sizeof v);
    return reversed_lanes ? reversed(v) : v;
  }
  [[gnu::always_inline]] static void store(Word* p, type v, bool reversed_lanes) {
    if (reversed_lanes) v = reversed(v);
    std::memcpy(p, &v, sizeof v);
  }
};

// Transposes the N x N block m (row r in m[r]; N = kPart). One round
// interleaves row i with row i + N/2 into rows 2i and 2i + 1: it rotates an element's index bits (row
// bits, then lane bits) left by one, so log2(N) rounds swap the row and lane bits. Unrolled through index
// sequences, so the rows stay in registers.
template <typename L>
using Rows = std::array<typename L::type, L::kPart>;
template <typename L, std::size_t... I>
[[gnu::always_inline]] inline void interleave_halves(Rows<L>& m, std::index_sequence<I...>) {
  constexpr std::size_t kHalf = sizeof...(I);
  const Rows<L> t = m;
  ((m[2 * I] = L::low(t[I], t[I + kHalf]), m[2 * I + 1] = L::high(t[I], t[I + kHalf])), ...);
}
template <typename L, std::size_t... Round>
[[gnu::always_inline]] inline void transpose(Rows<L>& m, std::index_sequence<Round...>) {
  ((void(Round), interleave_halves<L>(m, std::make_index_sequence<L::kPart / 2>{})), ...);
}
template <typename L>
[[gnu::always_inline]] inline void transpose(Rows<L>& m) {
  transpose<L>(m, std::make_index_sequence<std::countr_zero(L::kPart)>{});
}

// A reversed copy of n words: out[k] = in[n - 1 - k]. Cloned: AVX2 reverses 16 lanes in one instruction,
// SSE2 in several.
template <typename Word>
MEDCRYPT_VECTOR_CLONES void reverse_copy_words(const Word* in, std::size_t n, Word* out) {
  constexpr std::size_t kLanes = Vector<Word>::kPart;
  std::size_t k = 0;
  for (; k + kLanes <= n; k += kLanes) Vector<Word>::store(out + k, Vector<Word>::load(in + n - k - kLanes, true), false);
  for (; k < n; ++k) out[k] = in[n - 1 - k];
}

// The vertical and diagonal scans of grey frames in N x N blocks (N = 16 one-byte or 8 two-byte words).
// In the unflipped frame (the corners are reflections, done as each frame row is loaded or stored), a
// block is N lines (columns c0.., or anti-diagonals s0..) crossing N rows r0..: a row's part of it is N
// adjacent pixels (a shear for the diagonals: row r holds pixel s - r of diagonal s), the lines' parts
// are N adjacent words of each line, and one transpose turns the ones into the others. A group of N lines
// starts at c0 = 0, N, 2N, ... or s0 = -1, N - 1, 2N - 1, ...; its block in a band of rows is whole where
// it lies inside the frame, and at the frame's edges goes through a buffer (move_edge_block).
template <typename Word>
class Blocks {
 public:
  static constexpr std::int64_t kLanes = Vector<Word>::kPart;

  Blocks(std::uint32_t rows, std::uint32_t cols, const Scan& scan)
      : h_(rows), w_(cols), diagonal_(scan.pattern == Pattern::kDiagonal),
        flip_x_(scan.corner == Corner::kTopRight || scan.corner == Corner::kBottomRight),
        flip_y_(scan.corner == Corner::kBottomLeft || scan.corner == Corner::kBottomRight),
        lines_(diagonal_ ? h_ + w_ - 1 : w_), groups_((lines_ + (diagonal_ ? 1 : 0) + kLanes - 1) / kLanes) {
    if (diagonal_) {  // where each diagonal starts in the scan
      first_.resize(lines_ + 1);
      for (std::int64_t s = 0; s < lines_; ++s) first_[s + 1] = first_[s] + last_row(s) - first_row(s) + 1;
    }
  }

  // Moves every pixel: frame -> lines (scramble) or lines -> frame (unscramble, kInverse). Cloned for
  // AVX-512 and AVX2: one-instruction lane reversals, and 32 registers hold a block and its transpose.
  template <bool kInverse>
  MEDCRYPT_VECTOR_CLONES void move(const Word* in, Word* out) const {
    if (flip_x_) {
      move_groups<kInverse, true>(in, out);
    } else {
      move_groups<kInverse, false>(in, out);
    }
  }

 private:
  struct Group {
    std::int64_t line0;
    std::int64_t first, last;  // the rows its lines cross, in whole bands
    // Rows r0.. of line k lie in the scan from at[k] + r0 (even k) or at[k] - r0 (odd k) on.
    std::array<std::ptrdiff_t, kLanes> at;
  };

  // A group's first line is even (c0) or odd (s0), so its even lines run forwards in the scan and its odd
  // lines backwards, in both patterns: each lane's direction is known when compiling. Groups move kTile
  // at a time, band by band: side by side in the frame, their blocks fill whole cache lines of its rows
  // while those are in the first-level cache, where one group at a time down the frame would bring each
  // line in kTile times.
  template <bool kInverse, bool kFlipX>
  [[gnu::always_inline]] void move_groups(const Word* in, Word* out) const {
    constexpr std::int64_t kTile = 64 / sizeof(Word) / kLanes;
    // From one row of the frame to the next in a block: down a row (up where the frame is flipped
    // top-bottom), and for a diagonal one pixel left (right where flipped).
    const std::ptrdiff_t row_step = (flip_y_ ? -w_ : w_) + (diagonal_ ? (kFlipX ? 1 : -1) : 0);
    std::array<Group, kTile> tile;
    for (std::int64_t g0 = 0; g0 < groups_; g0 += kTile) {
      const std::int64_t count = std::min(kTile, groups_ - g0);
      std::int64_t first = h_, last = 0;
      for (std::int64_t j = 0; j < count; ++j) {
        tile[j] = group(g0 + j);
        first = std::min(first, tile[j].first);
        last = std::max(last, tile[j].last);
      }
      for (std::int64_t r0 = first; r0 < last; r0 += kLanes) {
        for (std::int64_t j = 0; j < count; ++j) {
          const Group& g = tile[j];
          if (r0 < g.first || r0 >= g.last) continue;
          if (inside(g.line0, r0)) {
            move_block<kInverse, kFlipX>(in, out, in_frame(r0, g.line0), row_step, g.at.data(), r0,
                                         std::make_index_sequence<kLanes>{});
          } else {
            move_edge_block<kInverse>(in, out, g, r0);
          }
        }
      }
    }
  }

  template <bool kInverse, bool kFlipX, std::size_t... K>
  [[gnu::always_inline]] static void move_block(const Word* in, Word* out, std::ptrdiff_t frame_at, std::ptrdiff_t row_step,
                                                const std::ptrdiff_t* line_at, std::ptrdiff_t r0, std::index_sequence<K...>) {
    using L = Vector<Word>;
    Rows<L> m;
    if constexpr (kInverse) {
      ((m[K] = L::load(in + (line_at[K] + (K % 2 == 0 ? r0 : -r0)), K % 2 == 1)), ...);
      transpose<L>(m);
      (L::store(out + (frame_at + std::ptrdiff_t{K} * row_step), m[K], kFlipX), ...);
    } else {
      // Offsets summed before they meet the pointer: a pointer never leaves its buffer on the way.
      ((m[K] = L::load(in + (frame_at + std::ptrdiff_t{K} * row_step), kFlipX)), ...);
      transpose<L>(m);
      (L::store(out + (line_at[K] + (K % 2 == 0 ? r0 : -r0)), m[K], K % 2 == 1), ...);
    }
  }

  // A block partly outside the frame: its pixels inside it are copied, row by row on the frame's side and
  // line by line on the lines' side (each a contiguous run), through a buffer the transpose turns. (Copying
  // each line's run straight across the frame's rows took 40 % longer on the whole diagonal scan.)
  template <bool kInverse>
  [[gnu::always_inline]] void move_edge_block(const Word* in, Word* out, const Group& g, std::int64_t r0) const {
    using L = Vector<Word>;
    Rows<L> m{};
    auto lane = [&m](std::int64_t i, std::int64_t j) -> Word& { return reinterpret_cast<Word*>(&m[i])[j]; };
    const std::int64_t rows = std::min(kLanes, h_ - r0);
    // Row t's pixels in the block: lanes [k0, k1), from frame index `at`, one step per lane.
    auto row_run = [&](std::int64_t t, std::int64_t& k0, std::int64_t& k1, std::ptrdiff_t& at) {
      const std::int64_t r = r0 + t, shift = diagonal_ ? r : 0;  // lane k is column line0 + k - shift
      k0 = std::max<std::int64_t>(0, shift - g.line0);
      k1 = std::min<std::int64_t>(kLanes, w_ + shift - g.line0);
      const std::int64_t c = g.line0 + k0 - shift;
      at = (flip_y_ ? h_ - 1 - r : r) * w_ + (flip_x_ ? w_ - 1 - c : c);
    };
    // Line k's pixels in the block: rows [t0, t1), from scan index `at`, one step per row.
    auto line_run = [&](std::int64_t k, std::int64_t& t0, std::int64_t& t1, std::ptrdiff_t& at, std::ptrdiff_t& step) {
      const std::int64_t line = g.line0 + k;
      t0 = t1 = 0;
      if (line < 0 || line >= lines_) return;
      t0 = std::max<std::int64_t>(0, first_row(line) - r0);
      t1 = std::min<std::int64_t>(rows, last_row(line) + 1 - r0);
      step = k % 2 == 0 ? 1 : -1;
      at = k % 2 == 0 ? g.at[k] + r0 + t0 : g.at[k] - r0 + kLanes - 1 - t0;
    };
    const std::ptrdiff_t dir = flip_x_ ? -1 : 1;
    std::int64_t a = 0, b = 0;
    std::ptrdiff_t at = 0, step = 0;
    if constexpr (kInverse) {
      for (std::int64_t k = 0; k < kLanes; ++k) {
        line_run(k, a, b, at, step);
        for (std::int64_t t = a; t < b; ++t, at += step) lane(k, t) = in[at];
      }
      transpose<L>(m);
      for (std::int64_t t = 0; t < rows; ++t) {
        row_run(t, a, b, at);
        for (std::int64_t k = a; k < b; ++k, at += dir) out[at] = lane(t, k);
      }
    } else {
      for (std::int64_t t = 0; t < rows; ++t) {
        row_run(t, a, b, at);
        for (std::int64_t k = a; k < b; ++k, at += dir) lane(t, k) = in[at];
      }
      transpose<L>(m);
      for (std::int64_t k = 0; k < kLanes; ++k) {
        line_run(k, a, b, at, step);
        for (std::int64_t t = a; t < b; ++t, at += step) out[at] = lane(k, t);
      }
    }
  }

  Group group(std::int64_t index) const {
    Group g;
    g.line0 = diagonal_ ? index * kLanes - 1 : index * kLanes;
    // Row r crosses diagonal s where 0 <= s - r < w.
    const std::int64_t top = diagonal_ ? std::max<std::int64_t>(0, g.line0 - w_ + 1) : 0;
    const std::int64_t bottom = diagonal_ ? std::min(h_ - 1, g.line0 + kLanes - 1) : h_ - 1;
    g.first = top / kLanes * kLanes;
    g.last = bottom < top ? g.first : (bottom / kLanes + 1) * kLanes;
    for (std::int64_t k = 0; k < kLanes; ++k) {
      const std::int64_t line = g.line0 + k;
      g.at[k] = line < 0 || line >= lines_ ? 0 : in_line(line);
    }
    return g;
  }

  // Whether the block of lines line0.. in rows r0.. lies wholly inside the frame.
  [[gnu::always_inline]] bool inside(std::int64_t line0, std::int64_t r0) const {
    if (r0 + kLanes > h_) return false;
    if (!diagonal_) return line0 + kLanes <= w_;
    return line0 - (r0 + kLanes - 1) >= 0 && line0 + kLanes - 1 - r0 < w_;
  }
  // Row-major index of the frame pixel at the unflipped row r, first of the block's N pixels in it.
  [[gnu::always_inline]] std::int64_t in_frame(std::int64_t r, std::int64_t line0) const {
    const std::int64_t c = diagonal_ ? line0 - r : line0;
    return (flip_y_ ? h_ - 1 - r : r) * w_ + (flip_x_ ? w_ - kLanes - c : c);
  }
  // Where rows r0 .. r0 + N - 1 of a line lie in the scan (the first of them in scan order) is a linear
  // function of r0: in_line(line) + r0 for a line that runs forwards, in_line(line) - r0 backwards.
  std::int64_t in_line(std::int64_t line) const {
    const std::int64_t start = diagonal_ ? first_[line] : line * h_;
    return descending(line) ? start + last_row(line) - (kLanes - 1) : start - first_row(line);
  }
  // Columns: even ones run down, odd ones up. Diagonals: even ones up-right (rows falling), odd ones down-left.
  bool descending(std::int64_t line) const { return line % 2 != 0 ? !diagonal_ : diagonal_; }
  std::int64_t first_row(std::int64_t line) const { return diagonal_ && line >= w_ ? line - w_ + 1 : 0; }
  std::int64_t last_row(std::int64_t line) const { return diagonal_ ? std::min(line, h_ - 1) : h_ - 1; }

  std::int64_t h_, w_;
  bool diagonal_, flip_x_, flip_y_;
  std::int64_t lines_, groups_;
  std::vector<std::int64_t> first_;
};

// Scrambles (out[i] = in[order[i]]) or unscrambles (out[order[i]] = in[i]) line by line, without an order
// array. One side of a line is contiguous; the other is too for a row (a copy, forwards or reversed).
// Columns and diagonals stride across the frame: in grey frames they move in blocks (Blocks, above); in
// RGB frames kColumns columns move together in tiles, so the cache lines a column touches serve the next
// ones, and a diagonal's strided side stays within a cache line of the diagonal before it.
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
  if (spp == 1 && scan.pattern != Pattern::kHorizontal) {
    Blocks<Word>(rows, cols, scan).template move<kInverse>(in, out);
    return;
  }
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
        reverse_copy_words(l.from, count, l.to - (count - 1));
      } else {
        reverse_copy_words(l.from - (count - 1), count, l.to);
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
