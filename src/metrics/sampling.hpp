// Seeded random choices (pixel pairs, blocks, the changed pixel, the flipped key bit) that give the same
// result on every platform and compiler: SplitMix64 (Steele, Lea and Flood 2014) for the stream and
// Lemire's multiply-and-reject (2019) for unbiased bounded draws. std::uniform_int_distribution is not
// used: each standard library picks its own algorithm.
#pragma once

#include <cstdint>

namespace medcrypt::metrics {

// The seed every command uses unless told otherwise (--seed).
inline constexpr std::uint64_t kDefaultSeed = 1;

class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n must be positive.
  std::uint64_t below(std::uint64_t n) {
    __extension__ using Uint128 = unsigned __int128;
    Uint128 m = static_cast<Uint128>(next()) * n;
    if (static_cast<std::uint64_t>(m) < n) {
      const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the draws that would bias the result
      while (static_cast<std::uint64_t>(m) < threshold) m = static_cast<Uint128>(next()) * n;
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  std::uint64_t state_;
};

// A pixel position in a (possibly multi-frame) image.
struct PixelPosition {
  std::uint32_t frame = 0;
  std::uint32_t y = 0;
  std::uint32_t x = 0;
};

}  // namespace medcrypt::metrics
