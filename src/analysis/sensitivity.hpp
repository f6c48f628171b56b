// Plaintext and key sensitivity, measured in test mode (test_mode.hpp) between cipher images.
//   plaintext: one plain sample moved by one level; NPCR/UACI between the two cipher images.
//   key: one bit of the shared key flipped; NPCR/UACI between the two cipher images, and what decrypting
//        the first cipher with the flipped key gives (an image to compare with the plain one, or a refusal).
// A stream cipher such as `aead` changes exactly the sample that changed: its plaintext sensitivity NPCR
// is 1/N, as expected; it needs no diffusion, since a fresh nonce makes every encryption unlinkable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "analysis/test_mode.hpp"
#include "metrics/image_compare.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::analysis {

// `plain` with one sample (index drawn with `seed`) one level up, or one level down if at 2^bits - 1.
struct ChangedSample {
  image::Image image;
  std::uint64_t index = 0;  // sample index in the interleaved samples
};
ChangedSample change_one_sample(const image::Image& plain, std::uint64_t seed);

// `key` with one bit (drawn with `seed`; bit i is bit i % 8 of byte i / 8) flipped.
struct FlippedKey {
  SecretBytes key;
  std::uint32_t bit = 0;
};
FlippedKey flip_one_bit(const SecretBytes& key, std::uint64_t seed);

struct PlaintextSensitivity {
  metrics::ImageComparison cipher;  // between the two cipher images
  std::uint64_t changed_sample = 0;
};
Result<PlaintextSensitivity> plaintext_sensitivity(const image::Image& plain, const TestModeCipher& reference,
                                                   const schemes::Scheme& scheme, const TestModeSetup& setup,
                                                   std::uint64_t seed);

// Decryption under the flipped key: an image compared with the plain one, or why none came back.
struct WrongKeyDecryption {
  std::optional<metrics::ImageComparison> comparison;
  std::optional<Error> rejected;
};

struct KeySensitivity {
  metrics::ImageComparison cipher;  // between the cipher images under the two keys
  WrongKeyDecryption decrypt;
  std::uint32_t flipped_bit = 0;
};
// Schemes that encrypt their chunks (Sealing::kEncrypt) are decrypted by the real reader, which refuses
// the wrong key; schemes that only authenticate them are decoded with the integrity layer bypassed.
Result<KeySensitivity> key_sensitivity(const image::Image& plain, const TestModeCipher& reference,
                                       const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry,
                                       const TestModeSetup& setup, std::uint64_t seed);

}  // namespace medcrypt::analysis
