// Cryptographically secure random bytes (OpenSSL RAND_bytes).
#pragma once

#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::crypto {

Status random_fill(std::span<std::uint8_t> out);
Result<Bytes> random_bytes(std::size_t n);
Result<SecretBytes> random_secret(std::size_t n);

}  // namespace medcrypt::crypto
