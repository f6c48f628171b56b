// Paillier key files, PEM-like as medcrypt's identities (crypto/identity.hpp):
//   NAME.hekey  "-----BEGIN MEDCRYPT PAILLIER PRIVATE KEY-----", mode 0600, optionally passphrase-protected
//   NAME.hepub  "-----BEGIN MEDCRYPT PAILLIER PUBLIC KEY-----"
// with "# " comment lines (bits, key id) before the block. The block is base64 of:
//   public:             u8 version 1 | u16 length | n (big-endian)
//   private, plain:     u8 version 1 | u8 0 | u16 length | p | u16 length | q
//   private, protected: u8 version 1 | u8 1 | u8 log2 N | u8 r | u8 p | salt[16] | nonce[12] |
//                       AES-256-GCM(key = scrypt(passphrase, salt, N, r, p), aad = every byte before,
//                                   plaintext = u16 length | p | u16 length | q) with its 16-byte tag
// Integers are little-endian. scrypt N = 2^17, r = 8, p = 1 (128 MiB), as RFC 7914 suggests for files.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "he/paillier.hpp"

namespace medcrypt::he {

std::string public_key_pem(const PublicKey& key);
// The private key's text in memory that wipes itself.
Result<SecretBytes> private_key_pem(const PrivateKey& key, std::optional<std::string_view> passphrase);

// kBadKey for anything that is not such a file, a protected key without a passphrase, a wrong passphrase.
Result<PublicKey> parse_public_key(std::string_view pem);
Result<PrivateKey> parse_private_key(std::string_view pem, std::optional<std::string_view> passphrase);
bool private_key_is_protected(std::string_view pem);

Result<PublicKey> load_public_key(const std::filesystem::path& path);
Result<PrivateKey> load_private_key(const std::filesystem::path& path, std::optional<std::string_view> passphrase);

}  // namespace medcrypt::he
