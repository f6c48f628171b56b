#include "schemes/ae_aes.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "nn/image_codec.hpp"

namespace medcrypt::schemes {
namespace {

enum class Precision { kFloat32, kFloat16 };

// Loaded once per process and shared: the weights never change while medcrypt runs.
Result<nn::Autoencoder> shared_model(int channels) {
  static std::mutex mutex;
  static std::map<int, Result<nn::Autoencoder>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(channels);
  if (it == cache.end()) it = cache.emplace(channels, nn::Autoencoder::load(ae_aes_model_path(channels))).first;
  return it->second;
}

class AeAesScheme final : public Scheme {
 public:
  AeAesScheme(Precision precision, nn::Autoencoder gray, nn::Autoencoder rgb)
      : precision_(precision), gray_(std::move(gray)), rgb_(std::move(rgb)) {}

  const SchemeInfo& info() const override {
    static const SchemeInfo kInfo = ae_aes_info();
    return kInfo;
  }
  std::string params() const override {
    return format_params({{"gray", gray_.digest_hex()},
                          {"latent", precision_ == Precision::kFloat32 ? "f32" : "f16"},
                          {"rgb", rgb_.digest_hex()}});
  }
  std::uint64_t payload_size(const image::Geometry& geometry) const override {
    return nn::codec_latent_values(geometry) * value_bytes();
  }
  Result<Payload> encode(const image::Image& plain, const SchemeKey& /*key*/) const override {
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> latent, nn::encode_image(model(plain.geometry()), plain));
    Bytes out(latent.size() * value_bytes());
    if (precision_ == Precision::kFloat32) {
      std::memcpy(out.data(), latent.data(), out.size());  // little-endian host (core/bytes.hpp)
    } else {
      MEDCRYPT_ASSIGN_OR_RETURN(const std::vector<std::uint16_t> half, nn::to_float16(latent));
      std::memcpy(out.data(), half.data(), out.size());
    }
    return Payload::owned(std::move(out));
  }
  Result<image::Image> decode(PixelBytes payload, const image::Geometry& geometry, const SchemeKey& /*key*/) const override {
    MEDCRYPT_TRY(nn::check_codec_geometry(geometry));
    if (payload.size() != payload_size(geometry)) return make_error(ErrorCode::kMalformed, "ae-aes: latent size does not match the geometry");
    std::vector<float> latent(payload.size() / value_bytes());
    if (precision_ == Precision::kFloat32) {
      std::memcpy(latent.data(), payload.data(), payload.size());
    } else {
      std::vector<std::uint16_t> half(latent.size());
      std::memcpy(half.data(), payload.data(), payload.size());
      MEDCRYPT_ASSIGN_OR_RETURN(latent, nn::from_float16(half));
    }
    return nn::decode_image(model(geometry), latent, geometry);
  }

 private:
  std::size_t value_bytes() const { return precision_ == Precision::kFloat32 ? 4 : 2; }
  const nn::Autoencoder& model(const image::Geometry& g) const { return g.samples == 1 ? gray_ : rgb_; }

  Precision precision_;
  nn::Autoencoder gray_, rgb_;
};

}  // namespace

std::filesystem::path model_directory() {
  if (const char* dir = std::getenv("MEDCRYPT_MODELS"); dir != nullptr && *dir != '\0') return dir;
  return MEDCRYPT_MODEL_DIR;
}

std::filesystem::path ae_aes_model_path(int channels) {
  return model_directory() / (nn::autoencoder_arch(channels) + ".weights");
}

SchemeInfo ae_aes_info() {
  return SchemeInfo{
      .name = "ae-aes",
      .version = 1,
      .lossless = false,
      .exports_cipher_image = false,
      .key_space_bits = 256,
      .sealing = Sealing::kEncrypt,
      .summary = "paper 002: autoencoder latent (112x112x3 per 224x224 tile) sealed with AES-256-GCM; LOSSY",
      .security_note = "secrecy is the container's AEAD alone (the model is public); the image comes back "
                       "approximately (about 30 dB PSNR), never bit-exact",
  };
}

Result<std::unique_ptr<Scheme>> make_ae_aes(const SchemeParams& params) {
  Precision precision = Precision::kFloat32;
  for (const auto& [name, value] : params) {
    if (name == "latent") {
      if (value != "f32" && value != "f16") return make_error(ErrorCode::kUsage, "ae-aes: latent must be f32 or f16");
      precision = value == "f32" ? Precision::kFloat32 : Precision::kFloat16;
    } else if (name != "gray" && name != "rgb") {
      return make_error(ErrorCode::kUsage, "ae-aes: unknown parameter '" + name + "' (latent=f32|f16)");
    }
  }
  std::map<int, nn::Autoencoder> models;
  for (int channels : {1, 3}) {
    auto model = shared_model(channels);
    if (!model) return make_error(model.error().code, "ae-aes: " + model.error().message);
    const std::string role = channels == 1 ? "gray" : "rgb";
    auto wanted = params.find(role);
    if (wanted != params.end() && wanted->second != model->digest_hex()) {
      return make_error(ErrorCode::kVersion, "ae-aes: this container was made with the " + role + " model " +
                                                 wanted->second.substr(0, 16) + "..., but " +
                                                 ae_aes_model_path(channels).string() + " is " +
                                                 model->digest_hex().substr(0, 16) + "...");
    }
    models.emplace(channels, *model);
  }
  return std::unique_ptr<Scheme>(std::make_unique<AeAesScheme>(precision, models.at(1), models.at(3)));
}

}  // namespace medcrypt::schemes
