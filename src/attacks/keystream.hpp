// A scheme's keystream, for randomness batteries (Debian's dieharder reads it from stdin): the cipher
// images of all-zero 8-bit side x side images (1024 unless asked), each a new message under one random key (as attacks::Oracle encrypts),
// as a sender with a long-term key encrypts blank images. For a cipher that XORs a keystream into the
// image, E(0) is that keystream; permuting zeros changes nothing, so for a permutation-diffusion cipher
// E(0) is what its diffusion adds. A scheme that reuses its key across messages repeats every image (side^2
// bytes, 1 MiB by default), and a battery sees it. A larger side spreads a per-message cost (zigzag-gan's generator) over more bytes.
#pragma once

#include <cstdint>
#include <functional>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::attacks {

inline constexpr std::uint32_t kKeystreamImageSide = 1024;
inline constexpr std::uint32_t kKeystreamMinSide = 16, kKeystreamMaxSide = 8192;

// Hands `bytes` bytes of keystream to `sink`, one image's worth at a time (the last one cut). Fails (kUsage)
// on a side outside [kKeystreamMinSide, kKeystreamMaxSide].
Status write_keystream(const schemes::Scheme& scheme, std::uint64_t bytes, std::uint32_t side,
                       const std::function<Status(ByteView)>& sink);

}  // namespace medcrypt::attacks
