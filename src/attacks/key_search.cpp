#include "attacks/key_search.hpp"

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "core/parallel.hpp"

namespace medcrypt::attacks {
namespace {

constexpr std::uint32_t kKnownSide = 32;  // one of the paper's 32x32 blocks
constexpr std::uint32_t kCandidates = 65536;

// The scheme key whose first 16 bytes give (X, Y) = (candidate >> 8, candidate & 255) under eq. 2-3: X in
// byte 0 and Y in byte 8, every other byte zero.
SecretBytes candidate_key(std::uint32_t candidate) {
  Bytes key(32, 0);
  key[0] = static_cast<std::uint8_t>(candidate >> 8);
  key[8] = static_cast<std::uint8_t>(candidate & 0xff);
  return SecretBytes(key);
}

}  // namespace

Result<std::optional<SecretBytes>> search_paper_key(Oracle& oracle, const schemes::Scheme& scheme,
                                                    const image::Geometry& like, std::vector<std::string>& notes) {
  if (scheme.info().name.starts_with("zigzag-gan")) {
    return make_error(ErrorCode::kUnsupported, "key-search searches paper 000's key space; zigzag-gan's key is "
                                               "its generator's key image (known-plaintext attacks its paper variant)");
  }
  if (scheme.payload_size(like) != like.byte_size()) {
    return make_error(ErrorCode::kUnsupported, "key-search decrypts a cipher image alone, not a payload that seals "
                                               "more beside it (roi=)");
  }
  image::Geometry small{kKnownSide, kKnownSide, 1, 1, like.bits_allocated, like.bits_allocated, false, "MONOCHROME2"};
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image known, known_image(small));
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image known_cipher, oracle.encrypt(known));
  const Bytes known_id = oracle.last_message_id();

  // Every trial is the oracle's encryption under a candidate key (Kerckhoffs: the attacker runs the algorithm).
  // A candidate whose orbit diverges is redrawn by the scheme from the candidate key, as the victim's would
  // be, and lands on another pair of the search: a wasted trial, never a missed key.
  std::atomic<std::uint32_t> found{kCandidates};
  std::atomic<std::uint32_t> tried{0};
  parallel_for(kCandidates, default_threads(), [&](std::size_t c, unsigned) {
    if (found.load(std::memory_order_relaxed) != kCandidates) return;
    tried.fetch_add(1, std::memory_order_relaxed);
    auto cipher = Oracle::encrypt_under(scheme, candidate_key(static_cast<std::uint32_t>(c)), known_id, known);
    if (cipher && *cipher == known_cipher) {
      found.store(static_cast<std::uint32_t>(c));
    }
  });
  const std::uint32_t c = found.load();
  if (c == kCandidates) {
    notes.push_back(fmt::format("none of the {} keys of paper 000's key space (x0, y0 = X / 256, Y / 256) encrypts "
                                "the {}x{} image as the oracle did: the key is not in that space",
                                kCandidates, kKnownSide, kKnownSide));
    return std::optional<SecretBytes>();
  }
  notes.push_back(fmt::format("key found after {} of {} trials on {} threads: x0 = {}/256, y0 = {}/256", tried.load(),
                              kCandidates, default_threads(), c >> 8, c & 0xff));
  return std::optional<SecretBytes>(candidate_key(c));
}

Result<image::Image> key_search(Oracle& oracle, const schemes::Scheme& scheme, const VictimMessage& victim,
                                std::vector<std::string>& notes) {
  const image::Geometry& g = victim.geometry;
  MEDCRYPT_ASSIGN_OR_RETURN(std::optional<SecretBytes> found, search_paper_key(oracle, scheme, g, notes));
  if (!found) return image::Image::from_bytes(g, copy_pixels(victim.cipher.bytes()));
  return decrypt_victim(scheme, std::move(*found), victim);
}

}  // namespace medcrypt::attacks
