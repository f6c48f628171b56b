// Keystream values of a Henon stream as words of a frame's type, shared by the full cipher
// (henon_cipher.cpp) and the selective mode's background XOR (selective.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "chaos/henon.hpp"

namespace medcrypt::chaos::internal {

// Keystream values of type Word, in stream order, a chunk of Henon words at a time (a frame-sized buffer
// would cost a fresh mmap per call). Every chunk but the last holds an even number of bytes, so an 8-bit
// frame sees the words' bytes in order (low, high).
template <typename Word>
class Keystream {
 public:
  static constexpr std::size_t kChunkWords = 2048;
  static constexpr std::size_t kChunk = kChunkWords * 2 / sizeof(Word);
  explicit Keystream(HenonStream& stream) : stream_(stream) {}
  const Word* next(std::size_t n) {  // n <= kChunk
    stream_.fill(std::span<std::uint16_t>(buffer_, (n * sizeof(Word) + 1) / 2));
    return reinterpret_cast<const Word*>(buffer_);  // little-endian bytes (asserted in core/bytes.hpp)
  }

 private:
  HenonStream& stream_;
  std::uint16_t buffer_[kChunkWords];
};

}  // namespace medcrypt::chaos::internal
