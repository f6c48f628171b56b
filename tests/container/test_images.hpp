// Synthetic images and fixed identities for the container tests.
#pragma once

#include <cstdint>
#include <string>

#include "container/container.hpp"
#include "crypto/identity.hpp"
#include "image/image.hpp"

namespace medcrypt::test {

// Pseudo-random pixels (seeded), any geometry; words masked to bits_stored.
image::Image random_image(std::uint32_t width, std::uint32_t height, std::uint32_t frames, std::uint8_t samples,
                          std::uint8_t bits_allocated, std::uint8_t bits_stored, bool is_signed, std::uint32_t seed);

// SHA-256 of an ASCII label, as the known-answer script derives its fixed values.
SecretBytes kat_value(const std::string& label, std::size_t n = 32);

// An identity from fixed private keys (kat_value("kat NAME x25519") and "... ed25519").
crypto::Identity kat_identity(const std::string& name);

// A freshly generated identity.
crypto::Identity fresh_identity(const std::string& name);

container::Metadata sample_metadata();

// Seals with the built-in `aead` scheme into memory.
Result<Bytes> seal_to_memory(const image::Image& image, const container::Recipients& to,
                             const container::SealOptions& options);
Result<container::Opened> open_from_memory(ByteView data, const container::OpenKeys& keys,
                                           const container::OpenOptions& options = {});

}  // namespace medcrypt::test
