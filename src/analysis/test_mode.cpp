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
  options.fixed = &fixed;
  options.cipher_image = &out.cipher;
  container::MemorySink sink;
  MEDCRYPT_TRY(container::seal(plain, container::Metadata{}, scheme, container::Recipients{{}, &key}, options, sink));
  out.container = std::move(sink).take();
  return out;
}

Result<image::Image> decode_bypassing_integrity(const TestModeCipher& sealed, const schemes::Scheme& scheme,
                                                const SecretBytes& key) {
  MEDCRYPT_ASSIGN_OR_RETURN(container::ParsedHeader parsed, container::parse_header(sealed.container));
  const container::Header& h = parsed.header;
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes content_key, crypto::hkdf_sha256(key.span(), h.shared.salt,
                                                                         container::kLabelSharedContentKey,
                                                                         container::kContentKeyBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(container::MessageKeys keys, container::derive_message_keys(content_key, h));
  const auto stored = sealed.cipher.bytes();
  return scheme.decode(PixelBytes(stored.begin(), stored.end()), h.geometry, keys.scheme);
}

}  // namespace medcrypt::analysis
