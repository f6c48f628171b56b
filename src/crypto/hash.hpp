// SHA-256 / SHA-512 (one-shot and streaming), HKDF-SHA256 (RFC 5869), scrypt (RFC 7914).
#pragma once

#include <array>
#include <memory>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::crypto {

inline constexpr std::size_t kSha256Bytes = 32;
inline constexpr std::size_t kSha512Bytes = 64;
using Sha256Digest = std::array<std::uint8_t, kSha256Bytes>;
using Sha512Digest = std::array<std::uint8_t, kSha512Bytes>;

Sha256Digest sha256(ByteView data);
Sha512Digest sha512(ByteView data);

enum class HashAlgorithm { kSha256, kSha512 };

// Incremental hashing for data that streams through (containers of several GB).
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void update(ByteView data);
  Bytes finish();  // 32 or 64 bytes; the hasher is spent afterwards
  Hasher copy() const;  // the same state: hash a prefix once, then finish it and go on from the copy

 private:
  struct Impl;
  explicit Hasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// HKDF-SHA256 extract-and-expand: `length` bytes of output keying material.
Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, std::string_view info, std::size_t length);
Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length);

struct ScryptParams {
  std::uint64_t n = 1u << 17;  // CPU/memory cost: 128 MiB with r = 8
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};
Result<SecretBytes> scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& params,
                           std::size_t length);

}  // namespace medcrypt::crypto
