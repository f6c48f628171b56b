// The diagnostic classifier (papers 000 and 004 judge their systems by what a network still sees after
// decryption): a small ResNet-style CNN, or the logistic-regression baseline it is measured against, that
// maps an image to a probability per class. Plain arrays only; the torch code is in
// nn/torch/classifier_net.cpp behind the module seam (nn/backend.hpp).
//
//   input: the image's first frame, per channel area-averaged to side x side, values / max (MONOCHROME1
//     inverted), standardised per image (zero mean, unit variance over all channels); grey images given
//     to a colour network are repeated, RGB ones given to a grey network become ITU-R BT.601 luma;
//   "resnet": Conv 3x3 (c -> b), GroupNorm(8), ReLU; four residual stages of one basic block each
//     (b, 2b, 4b, 8b channels; stride 2 from the second on; 1x1 projection shortcuts), global average
//     pooling, dropout 0.2, Linear (8b -> classes);
//   "logistic": Linear (c side^2 -> classes) on the same input: multinomial logistic regression on pixels;
//   softmax = the probabilities; trained on cross-entropy with Adam and weight decay.
//
// A weights file holds arch "classifier", kClassifierArchVersion, and in its training record an object
// "classifier": {"arch", "set", "classes", "channels", "side", "base_channels"} and the data split.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"
#include "nn/weights_file.hpp"

namespace medcrypt::nn {

inline constexpr std::string_view kClassifierArch = "classifier";
inline constexpr std::uint32_t kClassifierArchVersion = 1;

struct ClassifierConfig {
  std::string arch = "resnet";       // or "logistic"
  std::string set;                   // what it was trained on ("pneumonia", "fundus", ...)
  std::vector<std::string> classes;  // names, by class index; at least 2
  int channels = 1;                  // 1 or 3
  int side = 64;                     // input side, a multiple of 8 in [16, 512]
  int base_channels = 16;            // resnet: a multiple of 8 in [8, 64]
};
Status check_classifier_config(const ClassifierConfig& config);

// One training example at the network's resolution: channels x side x side values (classifier_input).
struct ClassifierSample {
  std::vector<float> input;
  int label = 0;
};

struct ClassifierTrainOptions {
  ClassifierConfig config;
  int epochs = 30;
  int batch = 32;
  double learning_rate = 2e-3;       // Adam, cosine decay to 5% over the epochs
  double weight_decay = 1e-4;        // L2, through Adam's weight_decay
  double validation_fraction = 0.15; // of the training samples, seeded, stratified: picks the best epoch
  bool augment = true;               // rotation +-10 deg, scale 0.9-1.1, shift +-8%, contrast; no flip unless asked
  bool flip = false;                 // chest anatomy is not mirror-symmetric; fundus images may ask for it
  bool balance = true;               // weight the loss by inverse class frequency
  double max_seconds = 0;            // stop after the epoch that passes this (0: no limit)
  std::uint64_t seed = 1;
  int threads = 0;                   // 0: torch's default
  std::string command;               // recorded in the training record
  std::string split_json = "{}";     // the data split (class_split_json), recorded for `eval`
};

struct ClassifierEpoch {
  int epoch = 0;
  double train_loss = 0, validation_loss = 0, validation_accuracy = 0, seconds = 0;
};

struct ClassifierTrainReport {
  std::vector<ClassifierEpoch> epochs;
  int best_epoch = 0;
  double best_validation_loss = 0, best_validation_accuracy = 0;
  double seconds = 0;
  bool stopped_by_time = false;
  std::size_t train_samples = 0, validation_samples = 0;
  Weights best;  // the best epoch's (lowest validation loss) weights with the full training record
};

struct ClassifierProgress {
  int epoch = 0, epochs = 0;
  std::size_t step = 0, steps = 0;
  double loss = 0;
};
using ClassifierProgressFn = std::function<void(const ClassifierProgress&)>;

class ClassifierModel {
 public:
  static Result<ClassifierModel> fresh(const ClassifierConfig& config, std::uint64_t seed);
  // Refuses other architectures and versions, and files without the "classifier" description.
  static Result<ClassifierModel> from_weights(const Weights& weights);
  static Result<ClassifierModel> load(const std::filesystem::path& path);
  // `path`, or when it is empty the shipped pneumonia network (kUnsupported if absent).
  static Result<ClassifierModel> load_or_shipped(const std::filesystem::path& path);

  const ClassifierConfig& config() const;
  const std::string& digest_hex() const;
  const std::string& training_json() const;  // the file's training record ("{}" for fresh ones)

  // One probability per class for one image (integer samples of at most 16 bits, one frame or the first
  // of several; grey or RGB; at least 8x8). Palette, YBR, wider and floating-point images are kUnsupported.
  Result<std::vector<double>> classify(const image::Image& image) const;
  // `count` rows of class probabilities for inputs already made by classifier_input.
  Result<std::vector<double>> probabilities(std::span<const float> inputs, int count) const;

  // Split at the last layer, for encrypted inference (he/encrypted_head.hpp): `count` rows of what the
  // linear head takes (resnet: the pooled 8b features, after the ReLUs so never negative; logistic: the
  // input itself). The head itself comes from the weights file (classifier_head below).
  int feature_count() const;
  Result<std::vector<float>> features(std::span<const float> inputs, int count) const;

  struct Impl;

 private:
  explicit ClassifierModel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// A classifier's linear head read from its weights file without the network (for a service that holds
// only the head): logits = weight (classes x inputs, row-major) * features + bias.
struct ClassifierHead {
  ClassifierConfig config;
  int inputs = 0;
  std::vector<float> weight, bias;
  std::string model;  // the file's digest
};
Result<ClassifierHead> classifier_head(const Weights& weights);

// The shipped network for a set: $MEDCRYPT_MODELS/classifier-SET.weights, else this tree's models/.
std::filesystem::path classifier_model_path(std::string_view set);

Result<std::vector<float>> classifier_input(const image::Image& image, int channels, int side);

Result<Weights> with_classifier_description(Weights weights, const ClassifierConfig& config);

Result<ClassifierTrainReport> train_classifier(const std::vector<ClassifierSample>& samples,
                                               const ClassifierTrainOptions& options,
                                               const ClassifierProgressFn& progress = {});

}  // namespace medcrypt::nn
