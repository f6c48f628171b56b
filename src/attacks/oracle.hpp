// What an attacker has: a scheme under a key it does not know (../shared/DESIGN.md: attacks reach schemes
// only so). Every encryption is a new message (a fresh nonce) under the one key, as a sender with a
// long-term key sends them; the victim's target is encrypted the same way.
#pragma once

#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::attacks {

class Oracle {
 public:
  // A fresh random key the attacker never sees; kUnsupported for a scheme without a cipher image.
  static Result<Oracle> with_random_key(const schemes::Scheme& scheme);

  // The cipher image of `plain`: the plain image's geometry, every bit of each word used.
  Result<image::Image> encrypt(const image::Image& plain);
  std::uint64_t queries() const { return queries_; }

 private:
  Oracle(const schemes::Scheme& scheme, SecretBytes key) : scheme_(&scheme), key_(std::move(key)) {}
  const schemes::Scheme* scheme_;
  SecretBytes key_;
  std::uint64_t queries_ = 0;
};

}  // namespace medcrypt::attacks
