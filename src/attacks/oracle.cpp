#include "attacks/oracle.hpp"

#include <algorithm>
#include <random>

#include "crypto/hash.hpp"
#include "crypto/keystream.hpp"
#include "crypto/random.hpp"

namespace medcrypt::attacks {
namespace {

// The container's chunk encryption for Sealing::kEncrypt schemes (AES-256-GCM's ciphertext is
// AES-256-CTR's) under a per-message key; its own inverse.
Status xor_chunk_stream(const SecretBytes& key, const Bytes& message_id, PixelBytes& words) {
  MEDCRYPT_ASSIGN_OR_RETURN(const SecretBytes chunk_key,
                            crypto::hkdf_sha256(key.span(), message_id, "medcrypt oracle chunks", 32));
  PixelBytes stream(words.size());
  MEDCRYPT_TRY(crypto::aes256_ctr_keystream(chunk_key, Bytes(crypto::kCounterBlockBytes, 0), stream));
  std::transform(words.begin(), words.end(), stream.begin(), words.begin(), [](auto a, auto b) { return a ^ b; });
  return {};
}

}  // namespace

Result<image::Image> known_image(const image::Geometry& g) {
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image known, image::Image::create(g));
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < g.sample_count(); ++i) known.set_word(i, static_cast<std::uint32_t>(rng()) & g.max_value());
  return known;
}

Result<image::Image> decrypt_victim(const schemes::Scheme& scheme, SecretBytes key, const VictimMessage& victim) {
  const schemes::SchemeKey scheme_key{std::move(key), victim.message_id};
  return scheme.decode(copy_pixels(victim.cipher.bytes()), victim.geometry,
                       scheme_key);
}

Result<Oracle> Oracle::with_random_key(const schemes::Scheme& scheme) {
  if (!scheme.info().exports_cipher_image) {
    return make_error(ErrorCode::kUnsupported, "scheme '" + scheme.info().name + "' has no cipher image to attack");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(32));
  return Oracle(scheme, std::move(key));
}

Result<image::Image> Oracle::encrypt(const image::Image& plain) {
  MEDCRYPT_ASSIGN_OR_RETURN(message_id_, crypto::random_bytes(16));
  ++queries_;
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image cipher, encrypt_under(*scheme_, key_, message_id_, plain));
  sealed_.emplace_back(message_id_, crypto::sha256(cipher.bytes()));
  return cipher;
}

Result<image::Image> Oracle::decrypt(const image::Image& cipher, const Bytes& message_id, const image::Geometry& plain,
                                     bool integrity) {
  ++queries_;
  if (cipher.bytes().size() != plain.byte_size()) return make_error(ErrorCode::kUsage, "the cipher image's size");
  const std::pair asked(message_id, crypto::sha256(cipher.bytes()));
  // Under any message id: a scheme keyed without it would decrypt the challenge under another.
  if (asked.second == challenge_.second) return make_error(ErrorCode::kUsage, "the challenge itself is not a query");
  if (integrity && std::find(sealed_.begin(), sealed_.end(), asked) == sealed_.end()) {
    return make_error(ErrorCode::kAuthentication, "the container failed authentication (a modified cipher image)");
  }
  PixelBytes words = copy_pixels(cipher.bytes());
  if (scheme_->info().sealing == schemes::Sealing::kEncrypt) MEDCRYPT_TRY(xor_chunk_stream(key_, message_id, words));
  return scheme_->decode(std::move(words), plain, schemes::SchemeKey{SecretBytes(key_.span()), message_id});
}

Result<image::Image> Oracle::encrypt_under(const schemes::Scheme& scheme, const SecretBytes& key,
                                           const Bytes& message_id, const image::Image& plain) {
  const schemes::SchemeKey scheme_key{SecretBytes(key.span()), message_id};
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::Payload payload, scheme.encode(plain, scheme_key));
  image::Geometry g = plain.geometry();
  if (payload.bytes().size() < g.byte_size()) return make_error(ErrorCode::kInternal, "the cipher image is short");
  PixelBytes words = copy_pixels(ByteView(payload.bytes()).first(g.byte_size()));
  if (scheme.info().sealing == schemes::Sealing::kEncrypt) MEDCRYPT_TRY(xor_chunk_stream(key, message_id, words));
  g.bits_stored = g.bits_allocated;  // cipher words use every bit, as exported cipher images do
  g.is_signed = false;
  return image::Image::from_bytes(g, std::move(words));
}

}  // namespace medcrypt::attacks
