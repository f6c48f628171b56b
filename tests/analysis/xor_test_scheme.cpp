#include "xor_test_scheme.hpp"

#include "crypto/aead.hpp"

namespace medcrypt::test {
namespace {

Result<Bytes> xor_keystream(ByteView data, const schemes::SchemeKey& key) {
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, key.key));
  Bytes out(data.size());
  std::uint8_t tag[crypto::kAeadTagBytes];
  // GCM's ciphertext is the plaintext XOR its CTR keystream: exactly the stream cipher wanted here.
  MEDCRYPT_TRY(aead.seal(ByteView(key.message_id).first(crypto::kAeadNonceBytes), ByteView{}, data, out, tag));
  return out;
}

class XorTestScheme final : public schemes::Scheme {
 public:
  explicit XorTestScheme(bool exports_cipher_image) : info_(xor_test_scheme_info()) {
    info_.exports_cipher_image = exports_cipher_image;
  }
  const schemes::SchemeInfo& info() const override { return info_; }
  std::string params() const override { return info_.exports_cipher_image ? "" : "cipher_image=no"; }
  std::uint64_t payload_size(const image::Geometry& geometry) const override { return geometry.byte_size(); }
  Result<schemes::Payload> encode(const image::Image& plain, const schemes::SchemeKey& key) const override {
    MEDCRYPT_ASSIGN_OR_RETURN(Bytes cipher, xor_keystream(plain.bytes(), key));
    return schemes::Payload::owned(std::move(cipher));
  }
  Result<image::Image> decode(PixelBytes payload, const image::Geometry& geometry,
                              const schemes::SchemeKey& key) const override {
    MEDCRYPT_ASSIGN_OR_RETURN(Bytes plain, xor_keystream(payload, key));
    return image::Image::from_bytes(geometry, PixelBytes(plain.begin(), plain.end()));
  }

 private:
  schemes::SchemeInfo info_;
};

}  // namespace

schemes::SchemeInfo xor_test_scheme_info() {
  return schemes::SchemeInfo{
      .name = "xor-test",
      .version = 1,
      .lossless = true,
      .exports_cipher_image = true,
      .key_space_bits = 128,
      .sealing = schemes::Sealing::kAuthenticate,
      .summary = "tests only: pixels XOR an AES-GCM keystream",
      .security_note = "tests only",
  };
}

Result<std::unique_ptr<schemes::Scheme>> make_xor_test_scheme(const schemes::SchemeParams& params) {
  const bool exports = !params.contains("cipher_image") || params.at("cipher_image") != "no";
  return std::unique_ptr<schemes::Scheme>(std::make_unique<XorTestScheme>(exports));
}

schemes::SchemeRegistry registry_with_xor_test_scheme() {
  schemes::SchemeRegistry registry = schemes::builtin_registry();
  registry.add(xor_test_scheme_info(), make_xor_test_scheme);
  return registry;
}

}  // namespace medcrypt::test
