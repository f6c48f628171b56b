#include "metrics/local_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

namespace medcrypt::metrics {
namespace {

// log of the binomial probability P(X = k), X ~ Binomial(n, p).
long double log_binomial_pmf(std::uint32_t n, std::uint32_t k, long double p) {
  return std::lgamma(static_cast<long double>(n) + 1) - std::lgamma(static_cast<long double>(k) + 1) -
         std::lgamma(static_cast<long double>(n - k) + 1) + k * std::log(p) + (n - k) * std::log1p(-p);
}

// Binomial(n, p) probabilities from 0 up to where the tail beyond the mode drops below 1e-40 of the
// largest term: far below what double results can show.
std::vector<long double> binomial_pmf(std::uint32_t n, long double p) {
  std::vector<long double> pmf;
  const long double mode = std::floor((n + 1) * p);
  long double largest = 0;
  for (std::uint32_t k = 0; k <= n; ++k) {
    const long double q = std::exp(log_binomial_pmf(n, k, p));
    largest = std::max(largest, q);
    pmf.push_back(q);
    if (k > mode && q < largest * 1e-40L) break;
  }
  return pmf;
}

EntropyMoments compute_moments(std::uint32_t symbols, std::uint32_t block_pixels) {
  // H = sum over symbols of g(n_s), g(c) = -(c/T) log2(c/T), with (n_1..n_L) multinomial(T, 1/L).
  // E[H] = L E[g(n_1)]; Var[H] = L Var[g(n_1)] + L (L - 1) Cov[g(n_1), g(n_2)]. The two terms nearly
  // cancel, so both are summed around the mean of g, in long double.
  const long double t = block_pixels;
  const long double l = symbols;
  auto g = [&](std::size_t c) { return c == 0 ? 0.0L : -(c / t) * std::log2(c / t); };
  const long double p = 1.0L / l;
  const std::vector<long double> first = binomial_pmf(block_pixels, p);
  long double mean_g = 0;
  for (std::size_t a = 0; a < first.size(); ++a) mean_g += first[a] * g(a);
  long double var_g = 0;
  for (std::size_t a = 0; a < first.size(); ++a) var_g += first[a] * (g(a) - mean_g) * (g(a) - mean_g);
  // Given n_1 = a, n_2 ~ Binomial(T - a, p / (1 - p)).
  long double cov_g = 0;
  for (std::size_t a = 0; a < first.size(); ++a) {
    const std::vector<long double> second =
        binomial_pmf(block_pixels - static_cast<std::uint32_t>(a), p / (1 - p));
    long double inner = 0;
    for (std::size_t b = 0; b < second.size(); ++b) inner += second[b] * (g(b) - mean_g);
    cov_g += first[a] * (g(a) - mean_g) * inner;
  }
  return {static_cast<double>(l * mean_g), static_cast<double>(l * var_g + l * (l - 1) * cov_g)};
}

}  // namespace

std::vector<PixelPosition> choose_blocks(std::uint32_t width, std::uint32_t height, std::uint32_t frames,
                                         std::size_t count, std::uint32_t side, std::uint64_t seed) {
  const std::uint64_t across = width / side, down = height / side;
  const std::uint64_t per_frame = across * down;
  const std::uint64_t total = per_frame * frames;
  // A partial Fisher-Yates shuffle over the grid cells, kept sparse: a 65535 x 65535 x 1000 grid is fine.
  std::map<std::uint64_t, std::uint64_t> swapped;
  auto cell = [&](std::uint64_t i) {
    auto it = swapped.find(i);
    return it == swapped.end() ? i : it->second;
  };
  SeededRandom random(seed);
  std::vector<PixelPosition> blocks;
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(count, total); ++i) {
    const std::uint64_t j = i + random.below(total - i);
    const std::uint64_t chosen = cell(j);
    swapped[j] = cell(i);
    const std::uint64_t in_frame = chosen % per_frame;
    blocks.push_back({static_cast<std::uint32_t>(chosen / per_frame), static_cast<std::uint32_t>(in_frame / across * side),
                      static_cast<std::uint32_t>(in_frame % across * side)});
  }
  return blocks;
}

EntropyMoments uniform_block_entropy_moments(std::uint32_t symbols, std::uint32_t block_pixels) {
  // Up to a few milliseconds (8 bits has the most terms), and every channel of every image asks: keep them.
  static std::mutex mutex;
  static std::map<std::pair<std::uint32_t, std::uint32_t>, EntropyMoments> cache;
  const std::lock_guard lock(mutex);
  auto [it, inserted] = cache.try_emplace({symbols, block_pixels});
  if (inserted) it->second = compute_moments(symbols, block_pixels);
  return it->second;
}

LocalEntropyTest local_entropy_test(const Channel& channel, std::span<const PixelPosition> blocks,
                                    std::uint32_t side) {
  LocalEntropyTest test;
  test.blocks = blocks.size();
  test.block_pixels = side * side;
  if (blocks.empty()) {
    constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    test.value = kNone;
    test.acceptance.fill({kNone, kNone});
    return test;
  }
  // H = log2(T) - (1/T) sum c log2 c over the counts c of the values present. Counts live in one array
  // of 2^bits entries, reset as each value is first read back, so a block costs O(T) even for 16 bits.
  const std::uint32_t t = test.block_pixels;
  std::vector<double> c_log2_c(t + 1, 0.0);
  for (std::uint32_t c = 1; c <= t; ++c) c_log2_c[c] = c * std::log2(static_cast<double>(c));
  std::vector<std::uint32_t> counts(std::size_t{channel.max_value()} + 1, 0);
  std::vector<std::uint16_t> values(t);
  double sum = 0;
  for (const PixelPosition& b : blocks) {
    for (std::uint32_t y = 0; y < side; ++y) {
      const std::uint16_t* row = channel.row(b.frame, b.y + y) + b.x;
      std::copy(row, row + side, values.begin() + std::ptrdiff_t{y} * side);
    }
    for (std::uint16_t v : values) ++counts[v];
    double weighted = 0;
    for (std::uint16_t v : values) {
      weighted += c_log2_c[counts[v]];
      counts[v] = 0;
    }
    sum += std::log2(static_cast<double>(t)) - weighted / t;
  }
  test.value = sum / static_cast<double>(blocks.size());

  const EntropyMoments moments = uniform_block_entropy_moments(channel.max_value() + 1, test.block_pixels);
  const double spread = std::sqrt(moments.variance / static_cast<double>(blocks.size()));
  for (std::size_t i = 0; i < kLevelCount; ++i) {
    const double z = normal_upper_quantile(kSignificanceLevels[i] / 2);
    test.acceptance[i] = {moments.mean - z * spread, moments.mean + z * spread};
    test.pass[i] = test.acceptance[i].contains(test.value);
  }
  return test;
}

}  // namespace medcrypt::metrics
