// Identities: an X25519 key (to receive) and an Ed25519 key (to sign), in PEM files.
//   NAME.key  two PKCS#8 private keys, optionally encrypted (PBES2 with scrypt + AES-256-CBC), mode 0600
//   NAME.pub  the two SubjectPublicKeyInfo public keys
// Both carry "# " comment lines with the name and fingerprint, which OpenSSL's PEM reader skips.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/asymmetric.hpp"

namespace medcrypt::crypto {

inline constexpr std::size_t kFingerprintBytes = 32;
using Fingerprint = std::array<std::uint8_t, kFingerprintBytes>;

struct PublicIdentity {
  std::string name;
  X25519PublicKey x25519{};
  Ed25519PublicKey ed25519{};
  // SHA-256("medcrypt identity v1" || 0x00 || x25519 || ed25519): names this identity in containers,
  // certificates and relay inboxes.
  Fingerprint fingerprint() const;
};

struct Identity {
  std::string name;
  SecretBytes x25519_private;
  SecretBytes ed25519_private;
  PublicIdentity public_identity;
};

Result<Identity> generate_identity(std::string name);

// PEM text. With a passphrase the private keys are encrypted; scrypt N = 2^14, r = 8, p = 8 keeps within
// OpenSSL's 32 MiB decoding limit while costing as much work as N = 2^17.
Result<std::string> private_identity_pem(const Identity& identity, std::optional<std::string_view> passphrase);
std::string public_identity_pem(const PublicIdentity& identity);

// `passphrase` is used only if the keys are encrypted; an encrypted file without one is kBadKey.
Result<Identity> parse_private_identity(std::string_view pem, std::optional<std::string_view> passphrase);
Result<PublicIdentity> parse_public_identity(std::string_view pem);
// True if the private key file is passphrase-protected.
bool pem_is_encrypted(std::string_view pem);

Result<Identity> load_private_identity(const std::filesystem::path& path,
                                       std::optional<std::string_view> passphrase);
Result<PublicIdentity> load_public_identity(const std::filesystem::path& path);

// A shared 32-byte key file: 32 raw bytes, or 64 hex digits and an optional newline.
inline constexpr std::size_t kSharedKeyBytes = 32;
Result<SecretBytes> load_shared_key(const std::filesystem::path& path);

// Reads a passphrase file: its first line, without the line ending.
Result<std::string> load_passphrase(const std::filesystem::path& path);

}  // namespace medcrypt::crypto
