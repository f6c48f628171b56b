// Base64 (RFC 4648, with padding), for images embedded in HTML reports as data: URLs.
#pragma once

#include <string>

#include "core/bytes.hpp"

namespace medcrypt::crypto {

std::string base64(ByteView bytes);

}  // namespace medcrypt::crypto
