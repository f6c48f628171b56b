// Sealing with fixed "random" values instead of fresh ones: the same inputs give the same container,
// byte for byte. For known-answer containers and for analysis that must be repeatable (`analyze`'s test
// mode); never for a message that is sent. container::seal always draws fresh randomness.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "container/container.hpp"

namespace medcrypt::container {

// Fixed "random" values, for known-answer containers and for analysis that must be repeatable.
struct FixedRandomness {
  SecretBytes content_key;                       // 32 bytes
  std::array<std::uint8_t, kMessageIdBytes> message_id{};
  std::array<std::uint8_t, kNoncePrefixBytes> nonce_prefix{};
  std::vector<SecretBytes> ephemeral_keys;        // one X25519 private key per recipient
  std::array<std::uint8_t, kSharedSaltBytes> shared_salt{};
};

// seal with `fixed` in place of fresh randomness; the same checks and errors, and kInternal unless `fixed`
// holds one ephemeral key per recipient identity.
Result<SealReport> seal_repeatable(const image::Image& image, const Metadata& metadata, const schemes::Scheme& scheme,
                                   const Recipients& recipients, const SealOptions& options,
                                   const FixedRandomness& fixed, Sink& sink);

}  // namespace medcrypt::container
