// Scheme `zigzag-gan` (paper 001, "Deep-KEDI"): the ZZ-GAN generator (nn/keygen.hpp) makes a key image
// from a key-derived seed image, the image is scrambled by the three zigzag scans in a key-chosen order and
// from key-chosen corners, and XORed with the key (zigzag/cipher.hpp). Two variants:
//   zigzag-gan:paper  as the paper: the key image and scans depend on the key alone, so every image under
//                     one key is XORed with the same key image. Kept to reproduce the paper; WEAK (one known
//                     image gives the key image: a two-time pad).
//   zigzag-gan        sound: seed, scans and an AES-256-CTR keystream XORed on top of the key image are
//                     derived with HKDF from the key and the message nonce, so no keystream repeats.
// The payload is the cipher image followed by the key image (at most 128x128 words) sealed with
// AES-256-GCM under a per-message key: the recipient needs neither the generator nor float arithmetic
// that matches the sender's (docs/SCHEMES.md says why).
// Parameters: keygen=HEX, the SHA-256 of the generator that made the key image, filled in when encrypting
// (encrypting needs that generator; decrypting does not); speckle=V (0, off, by default): paper 001's
// speckle stage (zigzag/speckle.hpp) with variance V, which makes the scheme LOSSY.
#pragma once

#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo zigzag_gan_info();
SchemeInfo zigzag_gan_paper_info();
Result<std::unique_ptr<Scheme>> make_zigzag_gan(const SchemeParams& params);
Result<std::unique_ptr<Scheme>> make_zigzag_gan_paper(const SchemeParams& params);

}  // namespace medcrypt::schemes
