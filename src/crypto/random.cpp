#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>

namespace medcrypt::crypto {

Status random_fill(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      return make_error(ErrorCode::kInternal, "the system random number generator failed");
    }
    out = out.subspan(n);
  }
  return {};
}

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  MEDCRYPT_TRY(random_fill(out));
  return out;
}

Result<SecretBytes> random_secret(std::size_t n) {
  SecretBytes out(n);
  MEDCRYPT_TRY(random_fill(out.mutable_span()));
  return out;
}

}  // namespace medcrypt::crypto
