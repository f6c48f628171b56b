#include "schemes/aead_scheme.hpp"

namespace medcrypt::schemes {
namespace {

class AeadScheme final : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo kInfo = aead_scheme_info();
    return kInfo;
  }
  std::uint64_t payload_size(const image::Geometry& geometry) const override { return geometry.byte_size(); }
  Result<Payload> encode(const image::Image& plain, const SchemeKey& /*key*/) const override {
    return Payload::borrowed(plain.bytes());
  }
  Result<image::Image> decode(PixelBytes payload, const image::Geometry& geometry,
                              const SchemeKey& /*key*/) const override {
    return image::Image::from_bytes(geometry, std::move(payload));
  }
};

}  // namespace

SchemeInfo aead_scheme_info() {
  return SchemeInfo{
      .name = "aead",
      .version = 1,
      .lossless = true,
      .exports_cipher_image = true,
      .key_space_bits = 256,
      .sealing = Sealing::kEncrypt,
      .summary = "AES-256-GCM or ChaCha20-Poly1305 over the pixels in STREAM chunks (the default)",
      .security_note = "IND-CCA2 under a fresh 256-bit key per message; hides content, not size or geometry",
  };
}

Result<std::unique_ptr<Scheme>> make_aead_scheme(const SchemeParams& params) {
  if (!params.empty()) {
    return make_error(ErrorCode::kUsage, "scheme 'aead' takes no parameters (its cipher is a sealing option, not a scheme parameter)");
  }
  return std::unique_ptr<Scheme>(std::make_unique<AeadScheme>());
}

}  // namespace medcrypt::schemes
