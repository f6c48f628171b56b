// AES-256 in counter mode as a keystream generator (NIST SP 800-38A): a 16-byte initial counter block,
// incremented as one 128-bit big-endian integer. For a cipher that XORs a keystream itself (the sound
// zigzag-gan); never reuse a (key, counter block) pair.
#pragma once

#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::crypto {

inline constexpr std::size_t kCounterBlockBytes = 16;

// out = in XOR the keystream of `key` (32 bytes) from `counter_block`: CTR encryption, in one pass, where
// filling a buffer with the keystream and XORing it on takes three. in and out have one size and are the
// same bytes or do not overlap.
Status aes256_ctr_xor(const SecretBytes& key, ByteView counter_block, ByteView in, std::span<std::uint8_t> out);
// The same in place.
Status aes256_ctr_xor(const SecretBytes& key, ByteView counter_block, std::span<std::uint8_t> data);

// Fills `out` with the keystream itself (the XOR onto zeros).
Status aes256_ctr_keystream(const SecretBytes& key, ByteView counter_block, std::span<std::uint8_t> out);

}  // namespace medcrypt::crypto
