// The plain side of the ROI network: resampling in and out, the weights' description, model lookup and
// locking; the arithmetic runs in the torch module (nn/torch/roi_net.cpp).
#include "nn/roi.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "metrics/channel.hpp"
#include "nn/backend.hpp"
#include "nn/resample.hpp"

namespace medcrypt::nn {
namespace {

Status check_grey(const image::Geometry& g) {
  if (g.samples != 1 || g.photometric == "PALETTE COLOR") {
    return make_error(ErrorCode::kUnsupported, "the ROI network takes grey images; this one has " +
                                                   std::to_string(g.samples) + " samples (" + g.photometric + ")");
  }
  if (g.frames != 1) return make_error(ErrorCode::kUnsupported, "the ROI network takes single-frame images");
  if (g.floating_point()) return make_error(ErrorCode::kUnsupported, "the ROI network takes integer samples");
  if (g.width < 8 || g.height < 8) return make_error(ErrorCode::kUnsupported, "the ROI network takes images of at least 8x8");
  return {};
}


}  // namespace

bool trained_for(std::string_view network_kind, std::string_view kind) {
  // A network trained on several sets has the kinds joined by '+' ("lung+brain-tumour").
  std::size_t at = 0;
  while (at <= network_kind.size()) {
    const std::size_t end = std::min(network_kind.find('+', at), network_kind.size());
    if (network_kind.substr(at, end - at) == kind) return true;
    at = end + 1;
  }
  return false;
}

Status check_roi_config(const RoiConfig& c) {
  if (c.kind.empty()) return make_error(ErrorCode::kUsage, "roi: the network needs an image kind");
  if (c.side < 32 || c.side > 1024 || c.side % 16 != 0) return make_error(ErrorCode::kUsage, "roi: the side must be a multiple of 16 in [32, 1024]");
  if (c.base_channels < 8 || c.base_channels > 64 || c.base_channels % 8 != 0) {
    return make_error(ErrorCode::kUsage, "roi: base channels must be a multiple of 8 in [8, 64]");
  }
  return {};
}

struct RoiModel::Impl {
  RoiConfig config;
  std::unique_ptr<RoiNetwork> network;
  std::string digest_hex;
  std::string training_json = "{}";
  std::mutex mutex;  // one inference at a time: torch already spreads one over every core
};

Result<RoiModel> RoiModel::fresh(const RoiConfig& config, std::uint64_t seed) {
  MEDCRYPT_TRY(check_roi_config(config));
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<RoiNetwork> network, backend->create_roi(config, seed));
  auto impl = std::make_shared<Impl>();
  impl->config = config;
  impl->network = std::move(network);
  return RoiModel(std::move(impl));
}

Result<RoiModel> RoiModel::from_weights(const Weights& w) {
  if (w.arch != kRoiArch) return make_error(ErrorCode::kVersion, "weights are for '" + w.arch + "', not the " + std::string(kRoiArch) + " ROI network");
  if (w.arch_version != kRoiArchVersion) {
    return make_error(ErrorCode::kVersion, "weights are for " + w.arch + " version " + std::to_string(w.arch_version) +
                                               "; this medcrypt runs version " + std::to_string(kRoiArchVersion));
  }
  const nlohmann::json record = nlohmann::json::parse(w.training_json, nullptr, false);
  RoiConfig config;
  try {
    const nlohmann::json& roi = record.at("roi");
    config.kind = roi.at("kind").get<std::string>();
    config.side = roi.at("side").get<int>();
    config.base_channels = roi.at("base_channels").get<int>();
  } catch (const nlohmann::json::exception&) {
    return make_error(ErrorCode::kVersion, "weights: the training record does not describe the ROI network (roi.kind, side, base_channels)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(RoiModel model, fresh(config, 0));
  MEDCRYPT_TRY(model.impl_->network->load(w));
  model.impl_->digest_hex = w.digest_hex;
  model.impl_->training_json = w.training_json;
  return model;
}

Result<RoiModel> RoiModel::load(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Weights w, read_weights_file(path));
  auto model = from_weights(w);
  if (!model) return make_error(model.error().code, path.string() + ": " + model.error().message);
  return model;
}

std::filesystem::path roi_model_path(std::string_view kind) {
  return shipped_models_directory() / ("roi-" + std::string(kind) + ".weights");
}

Result<RoiModel> RoiModel::for_kind(std::string_view kind) {
  const std::filesystem::path path = roi_model_path(kind);
  if (!std::filesystem::exists(path)) {
    return make_error(ErrorCode::kUnsupported, "no ROI network for the image kind '" + std::string(kind) + "' (" + path.string() + ")");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(RoiModel model, load(path));
  if (model.kind() != kind) {
    return make_error(ErrorCode::kVersion, path.string() + " holds a network for '" + model.kind() + "', not '" + std::string(kind) + "'");
  }
  return model;
}

const RoiConfig& RoiModel::config() const { return impl_->config; }
const std::string& RoiModel::digest_hex() const { return impl_->digest_hex; }
const std::string& RoiModel::training_json() const { return impl_->training_json; }

Result<std::vector<float>> RoiModel::probabilities(std::span<const float> inputs, int count) const {
  const int side = impl_->config.side;
  if (count <= 0 || inputs.size() != std::size_t(count) * side * side) {
    return make_error(ErrorCode::kInternal, "roi: input buffer does not match count x side x side");
  }
  std::lock_guard lock(impl_->mutex);
  return impl_->network->predict(inputs, count, side);
}

Result<RoiMask> RoiModel::predict(const image::Image& img, std::string_view expected_kind) const {
  if (!expected_kind.empty() && !trained_for(kind(), expected_kind)) {
    return make_error(ErrorCode::kUnsupported, "the ROI network was trained for '" + kind() + "' images, not '" +
                                                   std::string(expected_kind) + "'");
  }
  const int side = impl_->config.side;
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> input, roi_input(img, side));
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> p, probabilities(input, 1));
  // Bilinear back to the image's size (pixel centres aligned), then p > 0.5.
  const image::Geometry& g = img.geometry();
  RoiMask out{g.width, g.height, std::vector<std::uint8_t>(g.pixels_per_frame()), 0, 0};
  const double sx = double(side) / g.width, sy = double(side) / g.height;
  std::size_t inside = 0;
  double confidence = 0;
  for (std::uint32_t y = 0; y < g.height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(side - 1));
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, side - 1);
    const double wy = fy - y0;
    for (std::uint32_t x = 0; x < g.width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(side - 1));
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, side - 1);
      const double wx = fx - x0;
      const auto at = [&](int xx, int yy) { return double(p[std::size_t(yy) * side + xx]); };
      const double v = (1 - wy) * ((1 - wx) * at(x0, y0) + wx * at(x1, y0)) + wy * ((1 - wx) * at(x0, y1) + wx * at(x1, y1));
      const bool in = v > 0.5;
      out.mask[std::size_t{y} * g.width + x] = in;
      inside += in;
      confidence += std::abs(2 * v - 1);
    }
  }
  out.coverage = double(inside) / double(out.mask.size());
  out.confidence = confidence / double(out.mask.size());
  return out;
}

Result<std::vector<std::uint8_t>> predict_roi(const image::Image& img, std::string_view kind) {
  static std::mutex mutex;
  static std::map<std::string, Result<RoiModel>, std::less<>> cache;
  const RoiModel* model = nullptr;
  {
    std::lock_guard lock(mutex);
    auto it = cache.find(kind);
    if (it == cache.end()) it = cache.emplace(std::string(kind), RoiModel::for_kind(kind)).first;
    if (!it->second) return it->second.error();
    model = &*it->second;
  }
  MEDCRYPT_ASSIGN_OR_RETURN(RoiMask mask, model->predict(img, kind));
  return std::move(mask.mask);
}

Result<Weights> with_roi_description(Weights w, const RoiConfig& config) {
  nlohmann::json record = nlohmann::json::parse(w.training_json, nullptr, false);
  if (record.is_discarded() || !record.is_object()) record = nlohmann::json::object();
  record["roi"] = {{"kind", config.kind}, {"side", config.side}, {"base_channels", config.base_channels}};
  w.arch = std::string(kRoiArch);
  w.arch_version = kRoiArchVersion;
  w.training_json = record.dump();
  return w;
}

Result<std::vector<float>> roi_input(const image::Image& img, int side) {
  MEDCRYPT_TRY(check_grey(img.geometry()));
  std::vector<float> v = area_resample(img, side);
  double mean = 0, var = 0;
  for (float x : v) mean += x;
  mean /= double(v.size());
  for (float x : v) var += (x - mean) * (x - mean);
  const double sd = std::max(std::sqrt(var / double(v.size())), 1e-3);  // a flat image stays finite
  for (float& x : v) x = static_cast<float>((x - mean) / sd);
  return v;
}

Result<std::vector<float>> roi_target(const image::Image& mask, int side) {
  MEDCRYPT_TRY(check_grey(mask.geometry()));
  return area_resample(mask, side, 0, true);  // any non-zero sample is inside (0/1 and 0/255 masks alike)
}

Result<RoiTrainReport> train_roi(const std::vector<RoiSample>& samples, const RoiTrainOptions& options,
                                 const RoiProgressFn& progress) {
  MEDCRYPT_TRY(check_roi_config(options.config));
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(RoiTrainReport report, backend->train_roi(samples, options, progress));
  MEDCRYPT_ASSIGN_OR_RETURN(report.best, with_roi_description(std::move(report.best), options.config));
  return report;
}

}  // namespace medcrypt::nn
