// X25519 key agreement (RFC 7748) and Ed25519 signatures (RFC 8032) on raw 32-byte keys.
#pragma once

#include <algorithm>
#include <array>
#include <optional>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::crypto {

inline constexpr std::size_t kX25519KeyBytes = 32;
inline constexpr std::size_t kEd25519KeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

// Public keys and signatures as raw bytes, one type per use: an X25519 key cannot be passed where an Ed25519
// key or a signature is expected. Each holds an array of its size, privately, so that one type cannot be
// made from another through the array (a public base would let `X25519PublicKey{ed25519_key}` compile).
// from() takes bytes from outside (a file, a test vector) and refuses any other length.
template <typename Use, std::size_t N>
class RawBytes : private std::array<std::uint8_t, N> {
  using Array = std::array<std::uint8_t, N>;

 public:
  using typename Array::value_type;
  using Array::begin;
  using Array::data;
  using Array::end;
  using Array::size;
  using Array::operator[];

  static std::optional<RawBytes> from(ByteView bytes) {
    if (bytes.size() != N) return std::nullopt;
    RawBytes out;
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
  }
  friend bool operator==(const RawBytes& a, const RawBytes& b) {
    return static_cast<const Array&>(a) == static_cast<const Array&>(b);
  }
};
using X25519PublicKey = RawBytes<struct X25519Use, kX25519KeyBytes>;
using Ed25519PublicKey = RawBytes<struct Ed25519Use, kEd25519KeyBytes>;
using Ed25519Signature = RawBytes<struct Ed25519SignatureUse, kEd25519SignatureBytes>;

template <typename PublicKey>
struct KeyPair {
  SecretBytes private_key;  // 32 bytes
  PublicKey public_key{};
};
using X25519KeyPair = KeyPair<X25519PublicKey>;
using Ed25519KeyPair = KeyPair<Ed25519PublicKey>;

Result<X25519KeyPair> x25519_generate();
Result<X25519PublicKey> x25519_public_key(const SecretBytes& private_key);
// The shared secret; an all-zero result (a low-order peer key) is refused as kAuthentication.
Result<SecretBytes> x25519(const SecretBytes& private_key, const X25519PublicKey& peer_public_key);

Result<Ed25519KeyPair> ed25519_generate();
Result<Ed25519PublicKey> ed25519_public_key(const SecretBytes& private_key);
Result<Ed25519Signature> ed25519_sign(const SecretBytes& private_key, ByteView message);
bool ed25519_verify(const Ed25519PublicKey& public_key, ByteView message, const Ed25519Signature& signature);

}  // namespace medcrypt::crypto
