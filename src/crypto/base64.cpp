#include "crypto/base64.hpp"

#include <openssl/evp.h>

namespace medcrypt::crypto {

std::string base64(ByteView bytes) {
  std::string out;
  constexpr std::size_t kBlock = 3 * 1024;  // whole 3-byte groups, so that pieces concatenate
  unsigned char encoded[4 * kBlock / 3 + 1];
  for (std::size_t at = 0; at < bytes.size(); at += kBlock) {
    const std::size_t n = std::min(kBlock, bytes.size() - at);
    const int length = EVP_EncodeBlock(encoded, bytes.data() + at, static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
  }
  return out;
}

}  // namespace medcrypt::crypto
