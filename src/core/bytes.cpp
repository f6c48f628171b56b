#include "core/bytes.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <new>

#include <fmt/format.h>

namespace medcrypt {
namespace {

constexpr std::size_t kHugePage = 2u << 20;

std::size_t huge_pages_for(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* allocate_large(std::size_t bytes) {
  if (bytes < kHugePageMin) return ::operator new(bytes);
  if (bytes > SIZE_MAX - kHugePage) throw std::bad_alloc();
  const std::size_t rounded = huge_pages_for(bytes);
  void* p = ::operator new(rounded, std::align_val_t{kHugePage});
  // Advice only: where transparent huge pages are off, the buffer is faulted in 4 KiB at a time.
  (void)::madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

void deallocate_large(void* p, std::size_t bytes) noexcept {
  if (bytes < kHugePageMin) {
    ::operator delete(p);  // unsized: clang before 19 does not declare sized delete by default
  } else {
    ::operator delete(p, std::align_val_t{kHugePage});
  }
}

std::string to_hex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Result<Bytes> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return make_error(ErrorCode::kUsage, "hex string has an odd length");
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(ErrorCode::kUsage, "not a hex string");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

Result<std::uint64_t> ByteReader::le(int n, std::string_view field) {
  if (remaining() < static_cast<std::size_t>(n)) {
    return make_error(code_, fmt::format("truncated at {}: expected {} bytes, {} left", field, n,
                                         remaining()));
  }
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(data_[pos_ + i]) << (8 * i);
  pos_ += n;
  return v;
}

Result<std::uint8_t> ByteReader::u8(std::string_view field) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto v, le(1, field));
  return static_cast<std::uint8_t>(v);
}
Result<std::uint16_t> ByteReader::u16(std::string_view field) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto v, le(2, field));
  return static_cast<std::uint16_t>(v);
}
Result<std::uint32_t> ByteReader::u32(std::string_view field) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto v, le(4, field));
  return static_cast<std::uint32_t>(v);
}
Result<std::uint64_t> ByteReader::u64(std::string_view field) { return le(8, field); }

Result<ByteView> ByteReader::raw(std::size_t n, std::string_view field) {
  if (remaining() < n) {
    return make_error(code_, fmt::format("truncated at {}: expected {} bytes, {} left", field, n,
                                         remaining()));
  }
  ByteView v = data_.subspan(pos_, n);
  pos_ += n;
  return v;
}

Result<std::string> ByteReader::str16(std::string_view field) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto n, u16(field));
  MEDCRYPT_ASSIGN_OR_RETURN(auto v, raw(n, field));
  return std::string(v.begin(), v.end());
}

Status ByteReader::expect_end(std::string_view what) const {
  if (remaining() != 0) {
    return make_error(code_, fmt::format("{} has {} unexpected trailing bytes", what, remaining()));
  }
  return {};
}

PixelBytes copy_pixels(std::span<const std::uint8_t> bytes) {
  PixelBytes out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace medcrypt
