// X25519 key agreement (RFC 7748) and Ed25519 signatures (RFC 8032) on raw 32-byte keys.
#pragma once

#include <array>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::crypto {

inline constexpr std::size_t kX25519KeyBytes = 32;
inline constexpr std::size_t kEd25519KeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, kEd25519SignatureBytes>;

struct KeyPair {
  SecretBytes private_key;  // 32 bytes
  PublicKey public_key{};
};

Result<KeyPair> x25519_generate();
Result<PublicKey> x25519_public_key(const SecretBytes& private_key);
// The shared secret; an all-zero result (a low-order peer key) is refused as kAuthentication.
Result<SecretBytes> x25519(const SecretBytes& private_key, ByteView peer_public_key);

Result<KeyPair> ed25519_generate();
Result<PublicKey> ed25519_public_key(const SecretBytes& private_key);
Result<Signature> ed25519_sign(const SecretBytes& private_key, ByteView message);
bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature);

}  // namespace medcrypt::crypto
