#include "analysis/sensitivity.hpp"

#include "metrics/channel.hpp"
#include "metrics/sampling.hpp"

namespace medcrypt::analysis {

ChangedSample change_one_sample(const image::Image& plain, std::uint64_t seed) {
  ChangedSample out{plain, 0};
  const image::Geometry& g = plain.geometry();
  metrics::SeededRandom random(seed);
  out.index = random.below(g.sample_count());
  if (g.floating_point()) {  // one step of the representation: the last bit of the mantissa
    out.image.bytes()[out.index * g.bytes_per_sample()] ^= 1u;
    return out;
  }
  // One level in value terms is one step of the stored word, for signed words too; only the top value
  // (all significant bits set, or the largest positive signed value) steps down instead.
  const std::uint32_t word = plain.word(out.index);
  const std::uint32_t sign_flip = g.is_signed ? 1u << (g.bits_stored - 1) : 0u;
  const bool at_top = ((word & g.max_value()) ^ sign_flip) == g.max_value();
  const std::uint32_t word_mask =
      g.bits_allocated >= 32 ? 0xffffffffu : (1u << g.bits_allocated) - 1u;
  out.image.set_word(out.index, (at_top ? word - 1 : word + 1) & word_mask);
  return out;
}

FlippedKey flip_one_bit(const SecretBytes& key, std::uint64_t seed) {
  FlippedKey out{key, 0};
  metrics::SeededRandom random(seed);
  out.bit = static_cast<std::uint32_t>(random.below(key.size() * 8));
  out.key.data()[out.bit / 8] ^= static_cast<std::uint8_t>(1u << (out.bit % 8));
  return out;
}

Result<PlaintextSensitivity> plaintext_sensitivity(const image::Image& plain, const TestModeCipher& reference,
                                                   const schemes::Scheme& scheme, const TestModeSetup& setup,
                                                   std::uint64_t seed) {
  ChangedSample changed = change_one_sample(plain, seed);
  MEDCRYPT_ASSIGN_OR_RETURN(TestModeCipher other,
                            encrypt_test_mode(changed.image, scheme, setup.shared_key, setup.fixed));
  MEDCRYPT_ASSIGN_OR_RETURN(metrics::ImageComparison comparison,
                            metrics::compare_images(reference.cipher, other.cipher));
  return PlaintextSensitivity{std::move(comparison), changed.index};
}

Result<KeySensitivity> key_sensitivity(const image::Image& plain, const TestModeCipher& reference,
                                       const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry,
                                       const TestModeSetup& setup, std::uint64_t seed) {
  const FlippedKey flipped = flip_one_bit(setup.shared_key, seed);
  MEDCRYPT_ASSIGN_OR_RETURN(TestModeCipher other, encrypt_test_mode(plain, scheme, flipped.key, setup.fixed));
  KeySensitivity out;
  out.flipped_bit = flipped.bit;
  MEDCRYPT_ASSIGN_OR_RETURN(out.cipher, metrics::compare_images(reference.cipher, other.cipher));

  Result<image::Image> decrypted = make_error(ErrorCode::kInternal, "not decrypted");
  if (scheme.info().sealing == schemes::Sealing::kEncrypt) {
    container::MemorySource source(reference.container);
    container::OpenOptions options;
    options.registry = &registry;
    auto opened = container::open(source, container::OpenKeys::shared_key(flipped.key), options);
    if (opened) {
      decrypted = std::move(opened->image);
    } else {
      decrypted = opened.error();
    }
  } else {
    decrypted = decode_bypassing_integrity(reference, scheme, flipped.key);
  }
  if (!decrypted) {
    out.decrypt.rejected = decrypted.error();
    return out;
  }
  MEDCRYPT_ASSIGN_OR_RETURN(out.decrypt.comparison, metrics::compare_images(plain, *decrypted));
  return out;
}

}  // namespace medcrypt::analysis
