#include "chaos/permutation.hpp"

#include <numeric>
#include <utility>

namespace medcrypt::chaos {
namespace {

// Uniform in [0, bound), bound >= 1 (D. Lemire, "Fast random integer generation in an interval", 2019).
std::uint32_t uniform_below(std::uint32_t bound, HenonStream& stream) {
  std::uint64_t m = std::uint64_t{stream.next32()} * bound;
  auto low = static_cast<std::uint32_t>(m);
  if (low < bound) {
    const std::uint32_t threshold = (0u - bound) % bound;
    while (low < threshold) {
      m = std::uint64_t{stream.next32()} * bound;
      low = static_cast<std::uint32_t>(m);
    }
  }
  return static_cast<std::uint32_t>(m >> 32);
}

}  // namespace

void random_permutation(std::span<std::uint32_t> perm, HenonStream& stream) {
  std::iota(perm.begin(), perm.end(), 0u);
  for (auto i = static_cast<std::uint32_t>(perm.size()); i > 1; --i) {
    std::swap(perm[i - 1], perm[uniform_below(i, stream)]);
  }
}

std::vector<std::uint32_t> random_permutation(std::uint32_t n, HenonStream& stream) {
  std::vector<std::uint32_t> perm(n);
  random_permutation(perm, stream);
  return perm;
}

std::vector<std::uint32_t> invert(const std::vector<std::uint32_t>& perm) {
  std::vector<std::uint32_t> inverse(perm.size());
  for (std::uint32_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
  return inverse;
}

}  // namespace medcrypt::chaos
