// Deterministic encryption for analysis ("test mode"): a fixed shared key and fixed header "randomness"
// (key salt, message id, nonce prefix), all derived from a seed, so that two encryptions differ only in
// what an experiment changes: one plain sample, or one key bit. Only `medcrypt analyze` uses it. In normal
// use every message gets a fresh content key and nonce, and two encryptions of one image never share a
// keystream.
#pragma once

#include <cstdint>

#include "container/container.hpp"
#include "container/repeatable.hpp"
#include "core/secret_bytes.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::analysis {

struct TestModeSetup {
  SecretBytes shared_key;              // 32 bytes, the key flipped by the key sensitivity test
  container::FixedRandomness fixed;    // shared_salt, message_id, nonce_prefix
};
Result<TestModeSetup> test_mode_setup(std::uint64_t seed);

struct TestModeCipher {
  image::Image cipher;  // the stored payload as an image (bits stored = bits allocated, unsigned); empty
                        // where the scheme has no cipher image
  Bytes container;      // the whole .mct
  Bytes payload;        // the scheme's whole payload where it holds more than the cipher image; else empty
};

// Seals `plain` for `key` with the fixed randomness, and keeps the cipher image where the scheme has one.
Result<TestModeCipher> encrypt_test_mode(const image::Image& plain, const schemes::Scheme& scheme,
                                         const SecretBytes& key, const container::FixedRandomness& fixed);

// What a scheme that only authenticates its chunks (Sealing::kAuthenticate) decrypts under `key` when the
// container's integrity layer is bypassed: the scheme key is derived from `key` as a reader would (shared
// key -> content key -> subkeys), and the scheme's decoder runs on the stored payload. The real reader
// refuses a wrong key before this point; this shows what the scheme's own cipher gives.
Result<image::Image> decode_bypassing_integrity(const TestModeCipher& sealed, const schemes::Scheme& scheme,
                                                const SecretBytes& key);

}  // namespace medcrypt::analysis
