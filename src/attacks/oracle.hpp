// What an attacker has: a scheme under a key it does not know (../shared/DESIGN.md: attacks reach schemes
// only so). The key is long-term, as the papers use theirs: every encryption is a new message (a fresh
// message id, public in the container's header) under the one key; the victim's target is encrypted the
// same way. The cipher image is what a container stores: for a scheme whose chunks the container encrypts
// (Sealing::kEncrypt, `aead`), the payload under AES-256 keyed per message, as the container's chunks are.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/hash.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::attacks {

// What the attacker sees of the victim's message: its cipher image and, from the container's header, the
// message id and the plain image's geometry.
struct VictimMessage {
  image::Image cipher;
  Bytes message_id;
  image::Geometry geometry;
};

// The attacker's known image: seeded random words of `g` (any image works for the attacks here).
Result<image::Image> known_image(const image::Geometry& g);

// The victim's cipher image decrypted under a scheme key the attacker recovered. The cipher image is the
// scheme's whole payload for the schemes whose keys these attacks find (none finds a key for a scheme
// whose chunks the container encrypts).
Result<image::Image> decrypt_victim(const schemes::Scheme& scheme, SecretBytes key, const VictimMessage& victim);

class Oracle {
 public:
  // A fresh random key the attacker never sees; kUnsupported for a scheme without a cipher image.
  static Result<Oracle> with_random_key(const schemes::Scheme& scheme);

  // The cipher image of `plain`: the plain image's geometry, every bit of each word used.
  Result<image::Image> encrypt(const image::Image& plain);
  // The same encryption under a key of the attacker's choice (Kerckhoffs: the algorithm is public).
  static Result<image::Image> encrypt_under(const schemes::Scheme& scheme, const SecretBytes& key,
                                            const Bytes& message_id, const image::Image& plain);
  // The image a cipher image of message `message_id` decrypts to. With `integrity` (a real .mct) only a
  // cipher image this oracle made decrypts and anything else is refused (kAuthentication), as the
  // container's AEAD tag refuses every modified byte; without it, the scheme's own cipher decrypts
  // anything, as the papers' systems (which carry no integrity check) do.
  Result<image::Image> decrypt(const image::Image& cipher, const Bytes& message_id, const image::Geometry& plain,
                               bool integrity);
  // The last encryption becomes the challenge: decrypt() refuses its cipher image under any message id.
  void mark_challenge() { challenge_ = sealed_.back(); }
  // The message id of the last encryption (public: every container's header carries its own).
  const Bytes& last_message_id() const { return message_id_; }
  std::uint64_t queries() const { return queries_; }

 private:
  Oracle(const schemes::Scheme& scheme, SecretBytes key) : scheme_(&scheme), key_(std::move(key)) {}
  const schemes::Scheme* scheme_;
  SecretBytes key_;
  Bytes message_id_;
  std::vector<std::pair<Bytes, crypto::Sha256Digest>> sealed_;  // (message id, SHA-256 of the cipher image) of each encryption
  std::pair<Bytes, crypto::Sha256Digest> challenge_;
  std::uint64_t queries_ = 0;
};

}  // namespace medcrypt::attacks
