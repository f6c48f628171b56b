// Small helpers shared by the crypto tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>

#include "core/bytes.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::test {

inline Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

inline Bytes flipped(ByteView bytes, std::size_t bit) {
  Bytes out(bytes.begin(), bytes.end());
  out[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return out;
}

// Deterministic pseudo-random bytes: the property tests must be reproducible, so they never use the
// system RNG for their inputs (keys under test come from the vectors or from a fixed seed).
class TestRng {
 public:
  explicit TestRng(std::uint32_t seed) : engine_(seed) {}
  Bytes bytes(std::size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(engine_() & 0xff);
    return out;
  }
  SecretBytes secret(std::size_t n) { return SecretBytes(bytes(n)); }
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(engine_); }

 private:
  std::mt19937 engine_;
};

inline std::string hex(ByteView bytes) { return to_hex(bytes); }

}  // namespace medcrypt::test
