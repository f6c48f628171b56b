#include "analysis/test_mode.hpp"

#include <algorithm>
#include <string>

#include "container/format.hpp"
#include "crypto/hash.hpp"

namespace medcrypt::analysis {
namespace {

Result<SecretBytes> derive(std::uint64_t seed, const std::string& what, std::size_t length) {
  ByteWriter ikm;
  ikm.u64(seed);
  return crypto::hkdf_sha256(ikm.bytes(), {}, "medcrypt analysis test mode " + what, length);
}

template <std::size_t N>
Status fill(std::array<std::uint8_t, N>& out, std::uint64_t seed, const std::string& what) {
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes bytes, derive(seed, what, N));
  std::copy(bytes.span().begin(), bytes.span().end(), out.begin());
  return {};
}

// The scheme key a reader derives from the shared key `key` and the container's header.
Result<schemes::SchemeKey> scheme_key(ByteView container, const SecretBytes& key) {
  MEDCRYPT_ASSIGN_OR_RETURN(container::ParsedHeader parsed, container::parse_header(container));
  const container::Header& h = parsed.header;
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes content_key, crypto::hkdf_sha256(key.span(), h.shared.salt,
                                                                         container::kLabelSharedContentKey,
                                                                         container::kContentKeyBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(container::MessageKeys keys, container::derive_message_keys(content_key, h));
  return std::move(keys.scheme);
}

}  // namespace

Result<TestModeSetup> test_mode_setup(std::uint64_t seed) {
  TestModeSetup setup;
  MEDCRYPT_ASSIGN_OR_RETURN(setup.shared_key, derive(seed, "shared key", container::kContentKeyBytes));
  MEDCRYPT_TRY(fill(setup.fixed.shared_salt, seed, "salt"));
  MEDCRYPT_TRY(fill(setup.fixed.message_id, seed, "message id"));
  MEDCRYPT_TRY(fill(setup.fixed.nonce_prefix, seed, "nonce prefix"));
  return setup;
}

Result<TestModeCipher> encrypt_test_mode(const image::Image& plain, const schemes::Scheme& scheme,
                                         const SecretBytes& key, const container::FixedRandomness& fixed) {
  TestModeCipher out;
  container::SealOptions options;
  options.want_cipher_image = scheme.info().exports_cipher_image;
  options.allow_control = true;
  container::MemorySink sink;
  MEDCRYPT_ASSIGN_OR_RETURN(container::SealReport sealed,
                            container::seal_repeatable(plain, container::Metadata{}, scheme,
                                                       container::Recipients::shared_key(key), options, fixed, sink));
  out.cipher = std::move(sealed.cipher_image);
  out.container = std::move(sink).take();
  if (options.want_cipher_image && scheme.payload_size(plain.geometry()) > plain.bytes().size()) {
    // More than the cipher image (a sealed plan follows it): the same payload again, whole, from the same key.
    MEDCRYPT_ASSIGN_OR_RETURN(schemes::SchemeKey right, scheme_key(out.container, key));
    MEDCRYPT_ASSIGN_OR_RETURN(schemes::Payload payload, scheme.encode(plain, right));
    out.payload.assign(payload.bytes().begin(), payload.bytes().end());
  }
  return out;
}

Result<image::Image> decode_bypassing_integrity(const TestModeCipher& sealed, const schemes::Scheme& scheme,
                                                const SecretBytes& key) {
  MEDCRYPT_ASSIGN_OR_RETURN(container::ParsedHeader parsed, container::parse_header(sealed.container));
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::SchemeKey wrong, scheme_key(sealed.container, key));
  const ByteView stored = sealed.payload.empty() ? sealed.cipher.bytes() : ByteView(sealed.payload);
  return scheme.decode(copy_pixels(stored), parsed.header.geometry, wrong);
}

}  // namespace medcrypt::analysis
