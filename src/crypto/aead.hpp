// AEAD ciphers through OpenSSL EVP: AES-256-GCM and ChaCha20-Poly1305, 256-bit keys, 96-bit nonces.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::crypto {

// The numbers are stored in containers; never renumber.
enum class AeadAlgorithm : std::uint8_t { kAes256Gcm = 1, kChaCha20Poly1305 = 2 };

inline constexpr std::size_t kAeadKeyBytes = 32;
inline constexpr std::size_t kAeadNonceBytes = 12;
inline constexpr std::size_t kAeadTagBytes = 16;

std::string_view aead_name(AeadAlgorithm algorithm);  // "aes-256-gcm", "chacha20-poly1305"
std::optional<AeadAlgorithm> parse_aead_name(std::string_view name);
std::optional<AeadAlgorithm> aead_from_id(std::uint8_t id);

// One cipher context with its key scheduled once; each call sets only the nonce, so thousands of
// chunks cost one key expansion. Not thread-safe: give each thread its own Aead.
class Aead {
 public:
  static Result<Aead> create(AeadAlgorithm algorithm, const SecretBytes& key);
  Aead(Aead&&) noexcept;
  Aead& operator=(Aead&&) noexcept;
  ~Aead();

  AeadAlgorithm algorithm() const { return algorithm_; }

  // Encrypts plaintext into ciphertext (same size; the two may be the same memory) and writes the tag.
  // The associated data is the concatenation of `aad`'s parts.
  Status seal(ByteView nonce, std::span<const ByteView> aad, ByteView plaintext,
              std::span<std::uint8_t> ciphertext, std::span<std::uint8_t> tag);
  // Verifies the tag (OpenSSL compares it in constant time) and decrypts; on failure the output is wiped
  // and the error is ErrorCode::kAuthentication, whatever the cause.
  Status open(ByteView nonce, std::span<const ByteView> aad, ByteView ciphertext, ByteView tag,
              std::span<std::uint8_t> plaintext);
  Status seal(ByteView nonce, ByteView aad, ByteView plaintext, std::span<std::uint8_t> ciphertext,
              std::span<std::uint8_t> tag) {
    return seal(nonce, std::span<const ByteView>(&aad, 1), plaintext, ciphertext, tag);
  }
  Status open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag, std::span<std::uint8_t> plaintext) {
    return open(nonce, std::span<const ByteView>(&aad, 1), ciphertext, tag, plaintext);
  }

  // Convenience forms for small messages: ciphertext || tag.
  Result<Bytes> seal(ByteView nonce, ByteView aad, ByteView plaintext);
  Result<Bytes> open(ByteView nonce, ByteView aad, ByteView sealed);

 private:
  struct Impl;
  Aead(AeadAlgorithm algorithm, std::unique_ptr<Impl> impl);
  AeadAlgorithm algorithm_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medcrypt::crypto
