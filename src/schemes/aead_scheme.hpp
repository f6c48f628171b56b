// Scheme `aead`: the pixel bytes themselves, encrypted and authenticated by the container's AEAD stream
// (AES-256-GCM by default, or ChaCha20-Poly1305). Its cipher image is that AEAD ciphertext.
#pragma once

#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo aead_scheme_info();
Result<std::unique_ptr<Scheme>> make_aead_scheme(const SchemeParams& params);

}  // namespace medcrypt::schemes
