#include "metrics/correlation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/vector_clones.hpp"

namespace medcrypt::metrics {
namespace {

// Sums of 16-bit values and their products stay exact in 128 bits for any image medcrypt accepts
// (2^36 samples of at most 2^32 per product), so r is exact up to its final rounding even where
// N * sum(xy) and sum(x) * sum(y) nearly cancel, as they do for cipher images.
__extension__ using Int128 = __int128;

struct PairSums {
  Int128 n = 0, x = 0, y = 0, xx = 0, yy = 0, xy = 0;

  double pearson() const {
    const Int128 cov = n * xy - x * y;
    const Int128 var_x = n * xx - x * x;
    const Int128 var_y = n * yy - y * y;
    if (n < 2 || var_x == 0 || var_y == 0) return std::numeric_limits<double>::quiet_NaN();
    const long double denominator = std::sqrt(static_cast<long double>(var_x)) *
                                    std::sqrt(static_cast<long double>(var_y));
    return static_cast<double>(static_cast<long double>(cov) / denominator);
  }
};

// Sum and sum of squares of some values.
struct ValueSums {
  Int128 n = 0, sum = 0, squares = 0;
  ValueSums& operator+=(const ValueSums& o) {
    n += o.n;
    sum += o.sum;
    squares += o.squares;
    return *this;
  }
  ValueSums& operator-=(const ValueSums& o) {
    n -= o.n;
    sum -= o.sum;
    squares -= o.squares;
    return *this;
  }
};

// 64-bit sums hold up to 2^32 values and their squares (each below 2^32): a row, a column, or a chunk
// of sampled pairs.
[[gnu::always_inline]] inline ValueSums strided_sums(const std::uint16_t* v, std::size_t n, std::size_t stride) {
  std::uint64_t sum = 0, squares = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t x = v[i * stride];
    sum += x;
    squares += x * x;
  }
  return {static_cast<Int128>(n), sum, squares};
}

[[gnu::always_inline]] inline std::uint64_t dot(const std::uint16_t* a, const std::uint16_t* b, std::size_t n) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += std::uint32_t{a[i]} * b[i];
  return s;
}

void add_sides(PairSums& pairs, const ValueSums& first, const ValueSums& second) {
  pairs.n += first.n;
  pairs.x += first.sum;
  pairs.xx += first.squares;
  pairs.y += second.sum;
  pairs.yy += second.squares;
}

}  // namespace

std::string_view direction_name(Direction direction) {
  switch (direction) {
    case Direction::kHorizontal: return "horizontal";
    case Direction::kVertical: return "vertical";
    case Direction::kDiagonal: return "diagonal";
  }
  return "?";
}

MEDCRYPT_VECTOR_CLONES Correlations adjacent_correlation(const Channel& channel) {
  // Only the products need a pass per direction: the sums and squares of each side of the pairs are the
  // frame's totals minus the row or column that side lacks.
  PairSums h, v, d;
  const std::size_t w = channel.width, rows = channel.height;
  for (std::uint32_t f = 0; f < channel.frames; ++f) {
    const std::uint16_t* first = channel.row(f, 0);
    const std::uint16_t* last = channel.row(f, channel.height - 1);
    ValueSums total;
    for (std::uint32_t y = 0; y < channel.height; ++y) {
      const std::uint16_t* row = channel.row(f, y);
      total += strided_sums(row, w, 1);
      h.xy += dot(row, row + 1, w - 1);
      if (y + 1 < channel.height) {
        v.xy += dot(row, row + w, w);
        d.xy += dot(row, row + w + 1, w - 1);
      }
    }
    const ValueSums first_row = strided_sums(first, w, 1), last_row = strided_sums(last, w, 1);
    const ValueSums first_column = strided_sums(first, rows, w), last_column = strided_sums(first + w - 1, rows, w);
    const ValueSums top_left = strided_sums(first, 1, 1), bottom_right = strided_sums(last + w - 1, 1, 1);
    auto without = [](ValueSums s, const ValueSums& a, const ValueSums& b = {}, const ValueSums& corner = {}) {
      s -= a;
      s -= b;
      s += corner;  // the corner belongs to both strips removed
      return s;
    };
    add_sides(h, without(total, last_column), without(total, first_column));
    add_sides(v, without(total, last_row), without(total, first_row));
    add_sides(d, without(total, last_row, last_column, bottom_right), without(total, first_row, first_column, top_left));
  }
  Correlations out;
  out[Direction::kHorizontal] = h.pearson();
  out[Direction::kVertical] = v.pearson();
  out[Direction::kDiagonal] = d.pearson();
  return out;
}

PixelPosition neighbour(PixelPosition origin, Direction direction) {
  if (direction != Direction::kVertical) ++origin.x;
  if (direction != Direction::kHorizontal) ++origin.y;
  return origin;
}

PairSample sample_adjacent_pairs(std::uint32_t width, std::uint32_t height, std::uint32_t frames, std::size_t pairs,
                                 std::uint64_t seed) {
  SeededRandom random(seed);
  PairSample sample;
  for (Direction direction : kDirections) {
    const std::uint32_t span_x = width - (direction == Direction::kVertical ? 0 : 1);
    const std::uint32_t span_y = height - (direction == Direction::kHorizontal ? 0 : 1);
    auto& origins = sample.origins[static_cast<std::size_t>(direction)];
    if (span_x == 0 || span_y == 0 || frames == 0) continue;
    origins.resize(pairs);
    for (PixelPosition& p : origins) {
      p.frame = static_cast<std::uint32_t>(random.below(frames));
      p.y = static_cast<std::uint32_t>(random.below(span_y));
      p.x = static_cast<std::uint32_t>(random.below(span_x));
    }
  }
  return sample;
}

double pair_correlation(const Channel& channel, Direction direction, std::span<const PixelPosition> origins) {
  // Gather first, then sum: a loop of loads alone keeps many cache misses in flight on large images.
  // The neighbour is a fixed number of samples after the origin (neighbour()).
  const PixelPosition step = neighbour({}, direction);
  const std::uint16_t* values = channel.values().data();
  const std::size_t after = std::size_t{step.y} * channel.width + step.x;
  std::vector<std::uint16_t> a(origins.size()), b(origins.size());
  for (std::size_t i = 0; i < origins.size(); ++i) {
    const PixelPosition p = origins[i];
    const std::size_t at = p.frame * channel.frame_size() + std::size_t{p.y} * channel.width + p.x;
    a[i] = values[at];
    b[i] = values[at + after];
  }
  // Chunks of 2^31 pairs keep the 64-bit sums exact (strided_sums, dot).
  constexpr std::size_t kChunk = std::size_t{1} << 31;
  PairSums sums;
  for (std::size_t start = 0; start < a.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, a.size() - start);
    add_sides(sums, strided_sums(a.data() + start, n, 1), strided_sums(b.data() + start, n, 1));
    sums.xy += dot(a.data() + start, b.data() + start, n);
  }
  return sums.pearson();
}

Correlations sampled_correlation(const Channel& channel, const PairSample& sample) {
  Correlations out;
  for (Direction d : kDirections) out[d] = pair_correlation(channel, d, sample[d]);
  return out;
}

}  // namespace medcrypt::metrics
