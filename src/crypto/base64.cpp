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

Result<Bytes> from_base64(std::string_view text) {
  const auto bad = [] { return make_error(ErrorCode::kMalformed, "not valid base64"); };
  if (text.size() % 4 != 0) return bad();
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/')) return bad();
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  constexpr std::size_t kBlock = 4 * 1024;  // whole 4-character groups
  unsigned char decoded[3 * kBlock / 4];
  for (std::size_t at = 0; at < text.size(); at += kBlock) {
    const std::size_t n = std::min(kBlock, text.size() - at);
    const int length = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(text.data() + at), static_cast<int>(n));
    if (length < 0) return bad();
    out.insert(out.end(), decoded, decoded + length);
  }
  out.resize(out.size() - padding);  // EVP_DecodeBlock counts the padding as zero bytes
  // Canonical only: a last group whose unused bits are not zero would give two texts for one value.
  if (padding > 0 && base64(ByteView(out).last(3 - padding)) != text.substr(text.size() - 4)) return bad();
  return out;
}

}  // namespace medcrypt::crypto
