#include "metrics/difference.hpp"

#include <cstdlib>

#include "core/vector_clones.hpp"

namespace medcrypt::metrics {

DifferenceSums& DifferenceSums::operator+=(const DifferenceSums& other) {
  samples += other.samples;
  differing += other.differing;
  absolute += other.absolute;
  squared += other.squared;
  return *this;
}

MEDCRYPT_VECTOR_CLONES DifferenceSums difference_sums(const Channel& a, const Channel& b) {
  DifferenceSums sums;
  const std::size_t width = a.width;
  const std::size_t rows = std::size_t{a.height} * a.frames;
  for (std::size_t r = 0; r < rows; ++r) {
    // Per-row sums fit 64 bits (65535 differences of at most 2^32 each squared).
    const std::uint16_t* x = a.values().data() + r * width;
    const std::uint16_t* y = b.values().data() + r * width;
    std::uint64_t differing = 0, absolute = 0, squared = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const std::int64_t d = std::int64_t{x[i]} - std::int64_t{y[i]};
      differing += d != 0;
      absolute += static_cast<std::uint64_t>(d < 0 ? -d : d);
      squared += static_cast<std::uint64_t>(d * d);
    }
    sums.differing += differing;
    sums.absolute += absolute;
    sums.squared += squared;
  }
  sums.samples = a.values().size();
  return sums;
}

}  // namespace medcrypt::metrics
