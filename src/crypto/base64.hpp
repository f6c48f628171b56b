// Base64 (RFC 4648, with padding): images embedded in HTML reports, ciphertexts and keys in text files.
#pragma once

#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace medcrypt::crypto {

std::string base64(ByteView bytes);
// Strict: only the alphabet, a length that is a multiple of 4 and at most two '=' at the end (kMalformed).
Result<Bytes> from_base64(std::string_view text);

}  // namespace medcrypt::crypto
