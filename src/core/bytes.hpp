// Little-endian byte encoding and bounds-checked decoding, for every binary format medcrypt writes.
#pragma once

#include <bit>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace medcrypt {

static_assert(std::endian::native == std::endian::little,
              "medcrypt stores 16-bit samples as little-endian words and targets x86-64 and ARM64");

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Memory for large buffers (kHugePageMin bytes or more): aligned to 2 MiB and marked for transparent
// huge pages, so that the buffer is faulted in 2 MiB at a time instead of 4 KiB (decrypting a 64 MiB
// study into a new buffer spent nine tenths of its time in 16,384 page faults). glibc maps blocks this
// large anew for each allocation, so they are always faulted in. Smaller blocks come from operator new:
// glibc reuses them without faults once one has been freed, which huge-page advice would undo (an 8 MiB
// open on two threads ran 40% slower with it, each allocation faulting and zeroing fresh huge pages).
inline constexpr std::size_t kHugePageMin = 32u << 20;
void* allocate_large(std::size_t bytes);
void deallocate_large(void* p, std::size_t bytes) noexcept;

// An allocator whose vectors leave new elements uninitialised when they grow by size alone
// (`PixelBytes p(n)`, `p.resize(n)`); a value given explicitly (`PixelBytes p(n, 0)`) is still written.
// Opening a container decrypts into a buffer it has just allocated: zeroing 8 MiB first, on one thread,
// cost a quarter of a two-thread decryption. Large buffers come from allocate_large.
// Not derived from std::allocator, so that no member of it (C++23's allocate_at_least) can allocate
// around allocate_large.
template <typename T>
struct DefaultInitAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "allocate_large gives operator new's alignment");
  using value_type = T;

  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>& /*other*/) noexcept {}

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::ptrdiff_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_large(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { deallocate_large(p, n * sizeof(T)); }

  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const DefaultInitAllocator<U>& /*other*/) const noexcept {
    return true;  // stateless: any one frees what another allocated
  }
};

// An image's samples: every writer fills them whole (or asks for zeros explicitly).
using PixelBytes = std::vector<std::uint8_t, DefaultInitAllocator<std::uint8_t>>;

// A copy of `bytes` as PixelBytes. Copy it this way: a vector with an allocator other than std::allocator
// copies through the allocator's construct(), a byte at a time (1-4 GB/s here), where this is one memcpy.
PixelBytes copy_pixels(std::span<const std::uint8_t> bytes);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string to_hex(ByteView bytes);
// Accepts upper or lower case; fails on odd length or a non-hex character.
Result<Bytes> from_hex(std::string_view hex);

class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_le(v, 2); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void raw(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  // A u16 length followed by that many bytes.
  void str16(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(as_bytes(s));
  }
  const Bytes& bytes() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void put_le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

// Reads fields in order; every read checks the remaining length and names the field on failure.
class ByteReader {
 public:
  ByteReader(ByteView data, ErrorCode code) : data_(data), code_(code) {}

  Result<std::uint8_t> u8(std::string_view field);
  Result<std::uint16_t> u16(std::string_view field);
  Result<std::uint32_t> u32(std::string_view field);
  Result<std::uint64_t> u64(std::string_view field);
  Result<ByteView> raw(std::size_t n, std::string_view field);
  Result<std::string> str16(std::string_view field);

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  Status expect_end(std::string_view what) const;

 private:
  Result<std::uint64_t> le(int n, std::string_view field);
  ByteView data_;
  std::size_t pos_ = 0;
  ErrorCode code_;
};

}  // namespace medcrypt
