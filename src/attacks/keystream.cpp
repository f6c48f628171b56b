#include "attacks/keystream.hpp"

#include <algorithm>

#include "attacks/oracle.hpp"

namespace medcrypt::attacks {

Status write_keystream(const schemes::Scheme& scheme, std::uint64_t bytes, const std::function<Status(ByteView)>& sink) {
  MEDCRYPT_ASSIGN_OR_RETURN(Oracle oracle, Oracle::with_random_key(scheme));
  const image::Geometry g{kKeystreamImageSide, kKeystreamImageSide, 1, 1, 8, 8, false, "MONOCHROME2"};
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image zeros, image::Image::create(g));
  while (bytes > 0) {
    MEDCRYPT_ASSIGN_OR_RETURN(const image::Image cipher, oracle.encrypt(zeros));
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, cipher.bytes().size()));
    MEDCRYPT_TRY(sink(ByteView(cipher.bytes()).first(n)));
    bytes -= n;
  }
  return {};
}

}  // namespace medcrypt::attacks
