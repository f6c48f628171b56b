#include "attacks/oracle.hpp"

#include "crypto/random.hpp"

namespace medcrypt::attacks {

Result<Oracle> Oracle::with_random_key(const schemes::Scheme& scheme) {
  if (!scheme.info().exports_cipher_image) {
    return make_error(ErrorCode::kUnsupported, "scheme '" + scheme.info().name + "' has no cipher image to attack");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(32));
  return Oracle(scheme, std::move(key));
}

Result<image::Image> Oracle::encrypt(const image::Image& plain) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes nonce, crypto::random_bytes(16));
  const schemes::SchemeKey key{SecretBytes(key_.span()), std::move(nonce)};
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::Payload payload, scheme_->encode(plain, key));
  ++queries_;
  image::Geometry g = plain.geometry();
  if (payload.bytes().size() < g.byte_size()) return make_error(ErrorCode::kInternal, "the cipher image is short");
  g.bits_stored = g.bits_allocated;  // cipher words use every bit, as exported cipher images do
  g.is_signed = false;
  return image::Image::from_bytes(g, PixelBytes(payload.bytes().begin(), payload.bytes().begin() + g.byte_size()));
}

}  // namespace medcrypt::attacks
