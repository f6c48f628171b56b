#include "attacks/keystream.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "attacks/oracle.hpp"
#include "crypto/random.hpp"

namespace medcrypt::attacks {

Status write_keystream(const schemes::Scheme& scheme, std::uint64_t bytes, std::uint32_t side,
                       const std::function<Status(ByteView)>& sink) {
  if (side < kKeystreamMinSide || side > kKeystreamMaxSide) {
    return make_error(ErrorCode::kUsage, fmt::format("keystream: the image side must be {} to {}, not {}",
                                                     kKeystreamMinSide, kKeystreamMaxSide, side));
  }
  if (!scheme.info().exports_cipher_image) {
    return make_error(ErrorCode::kUnsupported, "scheme '" + scheme.info().name + "' has no cipher image");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(const SecretBytes key, crypto::random_secret(32));
  const image::Geometry g{side, side, 1, 1, 8, 8, false, "MONOCHROME2"};
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image zeros, image::Image::create(g));
  while (bytes > 0) {
    MEDCRYPT_ASSIGN_OR_RETURN(const Bytes message_id, crypto::random_bytes(16));
    MEDCRYPT_ASSIGN_OR_RETURN(const image::Image cipher, Oracle::encrypt_under(scheme, key, message_id, zeros));
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, cipher.bytes().size()));
    MEDCRYPT_TRY(sink(ByteView(cipher.bytes()).first(n)));
    bytes -= n;
  }
  return {};
}

}  // namespace medcrypt::attacks
