#include "schemes/ae_aes.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "core/text.hpp"
#include "nn/image_codec.hpp"

namespace medcrypt::schemes {
namespace {

enum class Precision { kFloat32, kFloat16 };

// Loaded once per process and shared: the weights never change while medcrypt runs.
Result<nn::Autoencoder> shared_model(const std::filesystem::path& path) {
  static std::mutex mutex;
  static std::map<std::filesystem::path, Result<nn::Autoencoder>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, nn::Autoencoder::load(path)).first;
  return it->second;
}

// An earlier model that a retrained one replaced, kept beside it so that containers made with it still
// open: ARCH-DIGEST16.weights, DIGEST16 the first 16 hex digits of its SHA-256.
std::filesystem::path earlier_model_path(const std::filesystem::path& current, const std::string& digest) {
  return current.parent_path() / (current.stem().string() + "-" + digest.substr(0, 16) + ".weights");
}

// The grey and RGB models of one variant; the paper variant's may be missing (a copy without models/).
struct Models {
  std::optional<nn::Autoencoder> gray, rgb;
};

class AeAesScheme final : public Scheme {
 public:
  AeAesScheme(SchemeInfo info, nn::AeVariant variant, Precision precision, Models models)
      : info_(std::move(info)), variant_(variant), precision_(precision), models_(std::move(models)) {}

  const SchemeInfo& info() const override { return info_; }
  std::string params() const override {
    auto digest = [](const std::optional<nn::Autoencoder>& m) { return m ? m->digest_hex() : std::string("none"); };
    const std::string latent = variant_ == nn::AeVariant::kTuned ? (precision_ == Precision::kFloat32 ? "f32" : "f16")
                               : variant_ == nn::AeVariant::kPaper ? "dense3"
                                                                   : "features";
    return format_params({{"gray", digest(models_.gray)}, {"latent", latent}, {"rgb", digest(models_.rgb)}});
  }
  std::uint64_t payload_size(const image::Geometry& geometry) const override {
    return nn::codec_latent_values(geometry, nn::latent_channels(variant_)) * value_bytes();
  }
  Result<Payload> encode(const image::Image& plain, const SchemeKey& /*key*/) const override {
    MEDCRYPT_ASSIGN_OR_RETURN(const nn::Autoencoder* model, model_for(plain.geometry()));
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> latent, nn::encode_image(*model, plain));
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
    if (payload.size() != payload_size(geometry)) {
      return make_error(ErrorCode::kMalformed, info_.name + ": latent size does not match the geometry");
    }
    MEDCRYPT_ASSIGN_OR_RETURN(const nn::Autoencoder* model, model_for(geometry));
    std::vector<float> latent(payload.size() / value_bytes());
    if (precision_ == Precision::kFloat32) {
      std::memcpy(latent.data(), payload.data(), payload.size());
    } else {
      std::vector<std::uint16_t> half(latent.size());
      std::memcpy(half.data(), payload.data(), payload.size());
      MEDCRYPT_ASSIGN_OR_RETURN(latent, nn::from_float16(half));
    }
    return nn::decode_image(*model, latent, geometry);
  }

 private:
  std::size_t value_bytes() const { return precision_ == Precision::kFloat32 ? 4 : 2; }
  Result<const nn::Autoencoder*> model_for(const image::Geometry& g) const {
    MEDCRYPT_TRY(nn::check_codec_geometry(g));
    const std::optional<nn::Autoencoder>& m = g.samples == 1 ? models_.gray : models_.rgb;
    if (!m) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("{}: no {} model is installed ({} is missing; docs/MODELS.md says how to train it)",
                                    info_.name, g.samples == 1 ? "grey" : "RGB",
                                    ae_aes_model_path(g.samples == 1 ? 1 : 3, variant_).string()));
    }
    return &*m;
  }

  SchemeInfo info_;
  nn::AeVariant variant_;
  Precision precision_;
  Models models_;
};

// Both models of `variant`, checked against the digests a container's parameters name. `optional`: a
// missing file leaves that model out (a copy of medcrypt installed without the paper models).
Result<Models> load_models(const std::string& scheme, nn::AeVariant variant, const SchemeParams& params,
                           bool optional) {
  Models models;
  for (int channels : {1, 3}) {
    const std::string role = channels == 1 ? "gray" : "rgb";
    const std::filesystem::path path = ae_aes_model_path(channels, variant);
    auto wanted = params.find(role);
    if (optional && !std::filesystem::exists(path)) {
      if (wanted != params.end() && wanted->second != "none") {
        return make_error(ErrorCode::kVersion, scheme + ": this container needs the " + role + " model " +
                                                   wanted->second.substr(0, 16) + "..., and " + path.string() +
                                                   " is missing");
      }
      continue;
    }
    auto model = shared_model(path);
    if (!model) return make_error(model.error().code, scheme + ": " + model.error().message);
    if (wanted != params.end() && wanted->second != model->digest_hex() && is_lower_hex(wanted->second, 64) &&
        std::filesystem::exists(earlier_model_path(path, wanted->second))) {
      model = shared_model(earlier_model_path(path, wanted->second));
      if (!model) return make_error(model.error().code, scheme + ": " + model.error().message);
    }
    if (wanted != params.end() && wanted->second != model->digest_hex()) {
      return make_error(ErrorCode::kVersion, scheme + ": this container was made with the " + role + " model " +
                                                 wanted->second.substr(0, 16) + "..., but " + path.string() + " is " +
                                                 model->digest_hex().substr(0, 16) + "...");
    }
    (channels == 1 ? models.gray : models.rgb) = *model;
  }
  return models;
}

}  // namespace

std::filesystem::path model_directory() {
  if (const char* dir = std::getenv("MEDCRYPT_MODELS"); dir != nullptr && *dir != '\0') return dir;
  return MEDCRYPT_MODEL_DIR;
}

std::filesystem::path ae_aes_model_path(int channels, nn::AeVariant variant) {
  return model_directory() / (nn::autoencoder_arch(channels, variant) + ".weights");
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
  MEDCRYPT_ASSIGN_OR_RETURN(Models models, load_models("ae-aes", nn::AeVariant::kTuned, params, false));
  return std::unique_ptr<Scheme>(
      std::make_unique<AeAesScheme>(ae_aes_info(), nn::AeVariant::kTuned, precision, std::move(models)));
}

SchemeInfo ae_aes_paper_info() {
  return SchemeInfo{
      .name = "ae-aes:paper",
      .version = 1,
      .lossless = false,
      .exports_cipher_image = false,
      .key_space_bits = 256,
      .sealing = Sealing::kEncrypt,
      .summary = "paper 002 as published: Table 2's autoencoder (3x3 transposed-convolution output) trained as "
                 "the paper says, its dense-3 latent or 112x112x32 feature map sealed with AES-256-GCM; LOSSY",
      .security_note = "secrecy is the container's AEAD alone (the model is public); the image comes back "
                       "approximately, never bit-exact",
  };
}

Result<std::unique_ptr<Scheme>> make_ae_aes_paper(const SchemeParams& params) {
  nn::AeVariant variant = nn::AeVariant::kPaper;
  for (const auto& [name, value] : params) {
    if (name == "latent") {
      if (value != "dense3" && value != "features") {
        return make_error(ErrorCode::kUsage, "ae-aes:paper: latent must be dense3 or features");
      }
      variant = value == "dense3" ? nn::AeVariant::kPaper : nn::AeVariant::kPaperFeatures;
    } else if (name != "gray" && name != "rgb") {
      return make_error(ErrorCode::kUsage, "ae-aes:paper: unknown parameter '" + name + "' (latent=dense3|features)");
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Models models, load_models("ae-aes:paper", variant, params, true));
  return std::unique_ptr<Scheme>(
      std::make_unique<AeAesScheme>(ae_aes_paper_info(), variant, Precision::kFloat32, std::move(models)));
}

}  // namespace medcrypt::schemes
