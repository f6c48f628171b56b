#include "attacks/chosen_ciphertext.hpp"

#include <bit>

#include <fmt/format.h>

namespace medcrypt::attacks {

namespace {
constexpr std::uint64_t kMaxBits = 1 << 16;
}  // namespace

Result<image::Image> chosen_ciphertext(Oracle& oracle, const VictimMessage& victim, bool integrity,
                                       std::vector<std::string>& notes) {
  const image::Geometry& g = victim.geometry;
  const image::Image& target = victim.cipher;
  const std::uint64_t bits = g.sample_count() * g.bits_allocated;
  if (bits > kMaxBits) {
    return make_error(ErrorCode::kLimits, fmt::format("chosen-ciphertext queries once per set bit: this attack takes "
                                                      "images of at most {} bits (64x64 16-bit), not {}",
                                                      kMaxBits, bits));
  }
  // The attacker's cipher images: the victim's geometry as the oracle hands it out (every bit used).
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image atom, image::Image::create(target.geometry()));
  auto offset = oracle.decrypt(atom, victim.message_id, g, integrity);
  if (!offset) {
    notes.push_back("the decryption oracle refused the first forged cipher image (" + offset.error().message + ")" +
                    (integrity ? ": through a .mct there is no chosen-ciphertext attack" : ""));
    return image::Image::from_bytes(g, copy_pixels(target.bytes()));
  }
  const image::Image& d = *offset;
  PixelBytes recovered = copy_pixels(d.bytes());
  std::uint64_t atoms = 0;
  for (std::size_t i = 0; i < target.geometry().sample_count(); ++i) {
    for (std::uint32_t word = target.word(i); word != 0; word &= word - 1) {
      atom.set_word(i, word & (~word + 1));  // the lowest set bit alone
      MEDCRYPT_ASSIGN_OR_RETURN(const image::Image column, oracle.decrypt(atom, victim.message_id, g, integrity));
      for (std::size_t b = 0; b < recovered.size(); ++b) recovered[b] ^= column.bytes()[b] ^ d.bytes()[b];
      ++atoms;
    }
    atom.set_word(i, 0);
  }
  notes.push_back(fmt::format("{} bit atoms decrypted (one per set bit of the target's {} bits) and the all-zero "
                              "cipher image",
                              atoms, bits));
  return image::Image::from_bytes(g, std::move(recovered));
}

}  // namespace medcrypt::attacks
