// The plain side of the ZZ-GAN key generator: the weights' description, model lookup, tiling and locking;
// the arithmetic runs in the torch module (nn/torch/keygen_net.cpp).
#include "nn/keygen.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <map>

#include <nlohmann/json.hpp>

#include "metrics/channel.hpp"
#include "nn/backend.hpp"

namespace medcrypt::nn {

Status check_keygen_config(const KeygenConfig& c) {
  if (c.base_channels < 4 || c.base_channels > 64) return make_error(ErrorCode::kUsage, "keygen: base channels must be in [4, 64]");
  if (c.res_blocks < 1 || c.res_blocks > 9) return make_error(ErrorCode::kUsage, "keygen: residual blocks must be in [1, 9]");
  return {};
}

Status check_keygen_options(const KeygenTrainOptions& o) {
  MEDCRYPT_TRY(check_keygen_config(o.config));
  if (o.crop < 16 || o.crop % 4 != 0) return make_error(ErrorCode::kUsage, "train keygen: the crop must be a multiple of 4, at least 16");
  if (o.epochs <= 0 || o.batch <= 0 || o.steps_per_epoch == 0 || !(o.learning_rate > 0) || !(o.noise_share >= 0) ||
      o.noise_share > 1 || o.threads < 0 || !(o.max_seconds >= 0)) {
    return make_error(ErrorCode::kUsage, "train keygen: epochs, batch, steps and learning rate must be positive, the "
                                         "noise share in [0, 1], threads and minutes not negative");
  }
  return {};
}

struct KeyGenerator::Impl {
  KeygenConfig config;
  std::unique_ptr<KeygenNetwork> network;
  std::string digest_hex;
  std::string training_json = "{}";
  std::mutex mutex;  // one inference at a time: torch already spreads one over every core
};

Result<KeyGenerator> KeyGenerator::fresh(const KeygenConfig& config, std::uint64_t seed) {
  MEDCRYPT_TRY(check_keygen_config(config));
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<KeygenNetwork> network, backend->create_keygen(config, seed));
  auto impl = std::make_shared<Impl>();
  impl->config = config;
  impl->network = std::move(network);
  return KeyGenerator(std::move(impl));
}

Result<KeyGenerator> KeyGenerator::from_weights(const Weights& w) {
  if (w.arch != kKeygenArch) {
    return make_error(ErrorCode::kVersion, "weights are for '" + w.arch + "', not the " + std::string(kKeygenArch) + " key generator");
  }
  if (w.arch_version != kKeygenArchVersion) {
    return make_error(ErrorCode::kVersion, "weights are for " + w.arch + " version " + std::to_string(w.arch_version) +
                                               "; this medcrypt runs version " + std::to_string(kKeygenArchVersion));
  }
  const nlohmann::json record = nlohmann::json::parse(w.training_json, nullptr, false);
  KeygenConfig config;
  try {
    const nlohmann::json& k = record.at("keygen");
    config.base_channels = k.at("base_channels").get<int>();
    config.res_blocks = k.at("res_blocks").get<int>();
  } catch (const nlohmann::json::exception&) {
    return make_error(ErrorCode::kVersion, "weights: the training record does not describe the key generator (keygen.base_channels, res_blocks)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(KeyGenerator model, fresh(config, 0));
  MEDCRYPT_TRY(model.impl_->network->load(w));
  model.impl_->digest_hex = w.digest_hex;
  model.impl_->training_json = w.training_json;
  return model;
}

Result<KeyGenerator> KeyGenerator::load(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Weights w, read_weights_file(path));
  auto model = from_weights(w);
  if (!model) return make_error(model.error().code, path.string() + ": " + model.error().message);
  return model;
}

Result<KeyGenerator> KeyGenerator::shipped() {
  static std::mutex mutex;
  static std::map<std::filesystem::path, KeyGenerator> cache;  // by path: $MEDCRYPT_MODELS may change
  const std::filesystem::path path = keygen_model_path();
  std::lock_guard lock(mutex);
  if (auto it = cache.find(path); it != cache.end()) return it->second;
  if (!std::filesystem::exists(path)) {
    return make_error(ErrorCode::kUnsupported, "no ZZ-GAN key generator is installed (" + path.string() +
                                                   " is missing; docs/MODELS.md says how to train it)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(KeyGenerator model, load(path));
  cache.emplace(path, model);
  return model;
}

const KeygenConfig& KeyGenerator::config() const { return impl_->config; }
const std::string& KeyGenerator::digest_hex() const { return impl_->digest_hex; }
const std::string& KeyGenerator::training_json() const { return impl_->training_json; }

Result<std::vector<double>> KeyGenerator::generate(std::span<const float> input, std::uint32_t height,
                                                   std::uint32_t width, int threads) const {
  if (height == 0 || width == 0 || input.size() != std::size_t{height} * width) {
    return make_error(ErrorCode::kInternal, "keygen: input does not match height x width");
  }
  // Tiles of at most kKeygenTile a side, each padded with zeros to a multiple of 4: the network's two
  // stride-2 layers need it, and a tile bounds the float64 activations' memory whatever the image.
  std::vector<double> out(input.size());
  std::vector<float> tile;
  std::lock_guard lock(impl_->mutex);
  for (std::uint32_t y0 = 0; y0 < height; y0 += kKeygenTile) {
    for (std::uint32_t x0 = 0; x0 < width; x0 += kKeygenTile) {
      const std::uint32_t th = std::min<std::uint32_t>(kKeygenTile, height - y0);
      const std::uint32_t tw = std::min<std::uint32_t>(kKeygenTile, width - x0);
      const int ph = static_cast<int>((th + 3) / 4 * 4), pw = static_cast<int>((tw + 3) / 4 * 4);
      tile.assign(std::size_t(ph) * pw, 0.0f);
      for (std::uint32_t y = 0; y < th; ++y) {
        std::copy_n(input.begin() + (std::size_t{y0} + y) * width + x0, tw, tile.begin() + std::size_t{y} * pw);
      }
      MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> key, impl_->network->generate(tile, ph, pw, threads));
      for (std::uint32_t y = 0; y < th; ++y) {
        std::copy_n(key.begin() + std::size_t{y} * pw, tw, out.begin() + (std::size_t{y0} + y) * width + x0);
      }
    }
  }
  return out;
}

std::filesystem::path keygen_model_path() { return shipped_models_directory() / "zigzag-gan-keygen.weights"; }

std::uint32_t key_word(double value, unsigned bits) {
  const double levels = std::ldexp(1.0, static_cast<int>(bits));
  const double v = std::floor((value + 1) / 2 * levels);
  return static_cast<std::uint32_t>(std::clamp(v, 0.0, levels - 1));
}

Result<GreyPlane> keygen_plane(const image::Image& img) {
  const image::Geometry& g = img.geometry();
  if (g.samples != 1 || g.frames != 1 || g.floating_point() || g.bits_allocated == 32) {
    return make_error(ErrorCode::kUnsupported, "the key generator takes grey single-frame 8- or 16-bit images");
  }
  GreyPlane plane{g.height, g.width, std::vector<float>(g.pixels_per_frame())};
  const double scale = 2.0 / std::max<std::uint32_t>(1, g.max_value());
  for (std::size_t i = 0; i < plane.values.size(); ++i) {
    plane.values[i] = static_cast<float>(metrics::sample_value(img.word(i), g) * scale - 1.0);
  }
  return plane;
}

Result<KeygenTrainReport> train_keygen(const std::vector<GreyPlane>& train, const std::vector<GreyPlane>& held_out,
                                       const KeygenTrainOptions& options, const KeygenProgressFn& progress) {
  MEDCRYPT_TRY(check_keygen_options(options));
  for (const auto* set : {&train, &held_out}) {
    for (const GreyPlane& p : *set) {
      if (p.height < std::uint32_t(options.crop) || p.width < std::uint32_t(options.crop)) {
        return make_error(ErrorCode::kUsage, "train keygen: every image must be at least the crop size");
      }
    }
  }
  if (train.empty() || held_out.empty()) return make_error(ErrorCode::kUsage, "train keygen: no training or held-out images");
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(KeygenTrainReport report, backend->train_keygen(train, held_out, options, progress));
  nlohmann::json record = nlohmann::json::parse(report.last.training_json, nullptr, false);
  if (record.is_discarded() || !record.is_object()) record = nlohmann::json::object();
  record["keygen"] = {{"base_channels", options.config.base_channels}, {"res_blocks", options.config.res_blocks}};
  report.last.arch = std::string(kKeygenArch);
  report.last.arch_version = kKeygenArchVersion;
  report.last.training_json = record.dump();
  return report;
}

}  // namespace medcrypt::nn
