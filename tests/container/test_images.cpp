#include "test_images.hpp"

#include <random>

#include "crypto/hash.hpp"

namespace medcrypt::test {

image::Image random_image(std::uint32_t width, std::uint32_t height, std::uint32_t frames, std::uint8_t samples,
                          std::uint8_t bits_allocated, std::uint8_t bits_stored, bool is_signed, std::uint32_t seed) {
  image::Geometry g{width, height, frames, samples, bits_allocated, bits_stored, is_signed,
                    samples == 3 ? "RGB" : "MONOCHROME2"};
  auto img = image::Image::create(g);
  std::mt19937 rng(seed);
  std::uint32_t mask = (1u << bits_stored) - 1;
  for (std::size_t i = 0; i < g.sample_count(); ++i) img->set_word(i, rng() & mask);
  return std::move(img).value();
}

SecretBytes kat_value(const std::string& label, std::size_t n) {
  auto d = crypto::sha256(as_bytes(label));
  return SecretBytes(ByteView(d).first(n));
}

crypto::Identity kat_identity(const std::string& name) {
  crypto::Identity id;
  id.name = name;
  id.x25519_private = kat_value("kat " + name + " x25519");
  id.ed25519_private = kat_value("kat " + name + " ed25519");
  id.public_identity.name = name;
  id.public_identity.x25519 = crypto::x25519_public_key(id.x25519_private).value();
  id.public_identity.ed25519 = crypto::ed25519_public_key(id.ed25519_private).value();
  return id;
}

crypto::Identity fresh_identity(const std::string& name) { return crypto::generate_identity(name).value(); }

container::Metadata sample_metadata() { return {"scan.png", "png", {}, {"a note"}, {}}; }

Result<Bytes> seal_to_memory(const image::Image& image, const container::Recipients& to,
                             const container::SealOptions& options) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, schemes::builtin_registry().create("aead"));
  container::MemorySink sink;
  MEDCRYPT_TRY(container::seal(image, sample_metadata(), *scheme, to, options, sink));
  return std::move(sink).take();
}

Result<container::Opened> open_from_memory(ByteView data, const container::OpenKeys& keys,
                                           const container::OpenOptions& options) {
  container::MemorySource source(data);
  return container::open(source, keys, options);
}

}  // namespace medcrypt::test
