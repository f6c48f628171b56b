// The plain side of the classifier: its input, the weights' description and model loading; the
// arithmetic runs in the torch module (nn/torch/classifier_net.cpp).
#include "nn/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <nlohmann/json.hpp>

#include "nn/backend.hpp"
#include "nn/resample.hpp"

namespace medcrypt::nn {

Status check_classifier_config(const ClassifierConfig& c) {
  if (c.arch != "resnet" && c.arch != "logistic") return make_error(ErrorCode::kUsage, "classifier: the architecture is resnet or logistic");
  if (c.classes.size() < 2 || c.classes.size() > 1000) return make_error(ErrorCode::kUsage, "classifier: 2 to 1000 classes");
  if (c.channels != 1 && c.channels != 3) return make_error(ErrorCode::kUsage, "classifier: 1 or 3 channels");
  if (c.side < 16 || c.side > 512 || c.side % 8 != 0) return make_error(ErrorCode::kUsage, "classifier: the side must be a multiple of 8 in [16, 512]");
  if (c.base_channels < 8 || c.base_channels > 64 || c.base_channels % 8 != 0) {
    return make_error(ErrorCode::kUsage, "classifier: base channels must be a multiple of 8 in [8, 64]");
  }
  return {};
}

struct ClassifierModel::Impl {
  ClassifierConfig config;
  std::unique_ptr<ClassifierNetwork> network;
  std::string digest_hex;
  std::string training_json = "{}";
  std::mutex mutex;  // one inference at a time: torch already spreads one over every core
};

Result<ClassifierModel> ClassifierModel::fresh(const ClassifierConfig& config, std::uint64_t seed) {
  MEDCRYPT_TRY(check_classifier_config(config));
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<ClassifierNetwork> network, backend->create_classifier(config, seed));
  auto impl = std::make_shared<Impl>();
  impl->config = config;
  impl->network = std::move(network);
  return ClassifierModel(std::move(impl));
}

namespace {

int feature_count_of(const ClassifierConfig& c) {
  return c.arch == "logistic" ? c.channels * c.side * c.side : 8 * c.base_channels;
}

// The architecture, version and description of a classifier weights file.
Result<ClassifierConfig> described_config(const Weights& w) {
  if (w.arch != kClassifierArch) {
    return make_error(ErrorCode::kVersion, "weights are for '" + w.arch + "', not the " + std::string(kClassifierArch));
  }
  if (w.arch_version != kClassifierArchVersion) {
    return make_error(ErrorCode::kVersion, "weights are for " + w.arch + " version " + std::to_string(w.arch_version) +
                                               "; this medcrypt runs version " + std::to_string(kClassifierArchVersion));
  }
  const nlohmann::json record = nlohmann::json::parse(w.training_json, nullptr, false);
  ClassifierConfig config;
  try {
    const nlohmann::json& c = record.at("classifier");
    config.arch = c.at("arch").get<std::string>();
    config.set = c.at("set").get<std::string>();
    config.classes = c.at("classes").get<std::vector<std::string>>();
    config.channels = c.at("channels").get<int>();
    config.side = c.at("side").get<int>();
    config.base_channels = c.at("base_channels").get<int>();
  } catch (const nlohmann::json::exception&) {
    return make_error(ErrorCode::kVersion, "weights: the training record does not describe the classifier "
                                           "(classifier.arch, set, classes, channels, side, base_channels)");
  }
  MEDCRYPT_TRY(check_classifier_config(config));
  return config;
}

}  // namespace

Result<ClassifierModel> ClassifierModel::from_weights(const Weights& w) {
  MEDCRYPT_ASSIGN_OR_RETURN(ClassifierConfig config, described_config(w));
  MEDCRYPT_ASSIGN_OR_RETURN(ClassifierModel model, fresh(config, 0));
  MEDCRYPT_TRY(model.impl_->network->load(w));
  model.impl_->digest_hex = w.digest_hex;
  model.impl_->training_json = w.training_json;
  return model;
}

Result<ClassifierModel> ClassifierModel::load(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Weights w, read_weights_file(path));
  auto model = from_weights(w);
  if (!model) return make_error(model.error().code, path.string() + ": " + model.error().message);
  return model;
}

Result<ClassifierModel> ClassifierModel::load_or_shipped(const std::filesystem::path& path) {
  if (!path.empty()) return load(path);
  const std::filesystem::path shipped = classifier_model_path("pneumonia");
  if (!std::filesystem::exists(shipped)) {
    return make_error(ErrorCode::kUnsupported, "no classifier file named, and none shipped at " + shipped.string());
  }
  return load(shipped);
}

std::filesystem::path classifier_model_path(std::string_view set) {
  return shipped_models_directory() / ("classifier-" + std::string(set) + ".weights");
}

const ClassifierConfig& ClassifierModel::config() const { return impl_->config; }
const std::string& ClassifierModel::digest_hex() const { return impl_->digest_hex; }
const std::string& ClassifierModel::training_json() const { return impl_->training_json; }

Result<std::vector<double>> ClassifierModel::probabilities(std::span<const float> inputs, int count) const {
  const ClassifierConfig& c = impl_->config;
  if (count <= 0 || inputs.size() != std::size_t(count) * c.channels * c.side * c.side) {
    return make_error(ErrorCode::kInternal, "classifier: input buffer does not match count x channels x side x side");
  }
  std::lock_guard lock(impl_->mutex);
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> p, impl_->network->predict(inputs, count));
  return std::vector<double>(p.begin(), p.end());
}

int ClassifierModel::feature_count() const { return feature_count_of(impl_->config); }

Result<ClassifierHead> classifier_head(const Weights& w) {
  ClassifierHead head;
  MEDCRYPT_ASSIGN_OR_RETURN(head.config, described_config(w));
  head.inputs = feature_count_of(head.config);
  head.model = w.digest_hex;
  for (const NamedTensor& t : w.tensors) {
    if (t.name == "head.weight") head.weight = t.values;
    if (t.name == "head.bias") head.bias = t.values;
  }
  const std::size_t classes = head.config.classes.size();
  if (head.bias.size() != classes || head.weight.size() != classes * std::size_t(head.inputs)) {
    return make_error(ErrorCode::kVersion, "weights: the classifier has no head of classes x " + std::to_string(head.inputs));
  }
  return head;
}

Result<std::vector<float>> ClassifierModel::features(std::span<const float> inputs, int count) const {
  const ClassifierConfig& c = impl_->config;
  if (count <= 0 || inputs.size() != std::size_t(count) * c.channels * c.side * c.side) {
    return make_error(ErrorCode::kInternal, "classifier: input buffer does not match count x channels x side x side");
  }
  std::lock_guard lock(impl_->mutex);
  return impl_->network->features(inputs, count);
}

Result<std::vector<double>> ClassifierModel::classify(const image::Image& img) const {
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> input, classifier_input(img, impl_->config.channels, impl_->config.side));
  return probabilities(input, 1);
}

Result<std::vector<float>> classifier_input(const image::Image& img, int channels, int side) {
  const image::Geometry& g = img.geometry();
  if (g.photometric == "PALETTE COLOR") return make_error(ErrorCode::kUnsupported, "the classifier takes grey or colour images, not palette images");
  if (g.floating_point()) return make_error(ErrorCode::kUnsupported, "the classifier takes integer samples");
  if (g.samples != 1 && g.samples != 3) return make_error(ErrorCode::kUnsupported, "the classifier takes 1 or 3 samples a pixel");
  if (g.width < 8 || g.height < 8) return make_error(ErrorCode::kUnsupported, "the classifier takes images of at least 8x8");
  if (g.bits_stored > 16) return make_error(ErrorCode::kUnsupported, "the classifier takes samples of at most 16 bits");
  if (g.samples == 3 && g.photometric != "RGB") {
    return make_error(ErrorCode::kUnsupported, "the classifier takes RGB colour, not " + g.photometric);
  }
  const std::size_t plane = std::size_t(side) * side;
  std::vector<float> v(plane * channels);
  if (g.samples == 1) {
    const std::vector<float> grey = area_resample(img, side);
    for (int c = 0; c < channels; ++c) std::copy(grey.begin(), grey.end(), v.begin() + c * plane);
  } else if (channels == 3) {
    for (int c = 0; c < 3; ++c) {
      const std::vector<float> one = area_resample(img, side, c);
      std::copy(one.begin(), one.end(), v.begin() + c * plane);
    }
  } else {
    const std::vector<float> r = area_resample(img, side, 0), gr = area_resample(img, side, 1), b = area_resample(img, side, 2);
    for (std::size_t i = 0; i < plane; ++i) v[i] = static_cast<float>(0.299 * r[i] + 0.587 * gr[i] + 0.114 * b[i]);
  }
  if (g.photometric == "MONOCHROME1") {  // inverted grey: 0 is white
    for (float& x : v) x = 1 - x;
  }
  double mean = 0, var = 0;
  for (float x : v) mean += x;
  mean /= double(v.size());
  for (float x : v) var += (x - mean) * (x - mean);
  const double sd = std::max(std::sqrt(var / double(v.size())), 1e-3);  // a flat image stays finite
  for (float& x : v) x = static_cast<float>((x - mean) / sd);
  return v;
}

Result<Weights> with_classifier_description(Weights w, const ClassifierConfig& c) {
  nlohmann::json record = nlohmann::json::parse(w.training_json, nullptr, false);
  if (record.is_discarded() || !record.is_object()) record = nlohmann::json::object();
  record["classifier"] = {{"arch", c.arch},         {"set", c.set},   {"classes", c.classes},
                          {"channels", c.channels}, {"side", c.side}, {"base_channels", c.base_channels}};
  w.arch = std::string(kClassifierArch);
  w.arch_version = kClassifierArchVersion;
  w.training_json = record.dump();
  return w;
}

Result<ClassifierTrainReport> train_classifier(const std::vector<ClassifierSample>& samples,
                                               const ClassifierTrainOptions& options,
                                               const ClassifierProgressFn& progress) {
  MEDCRYPT_TRY(check_classifier_config(options.config));
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(ClassifierTrainReport report, backend->train_classifier(samples, options, progress));
  MEDCRYPT_ASSIGN_OR_RETURN(report.best, with_classifier_description(std::move(report.best), options.config));
  return report;
}

}  // namespace medcrypt::nn
