// Paper 000's region-of-interest network: a small U-Net that maps a grey image to a mask of the region
// to protect (lung fields on chest X-rays, tumours on brain MRI). Plain arrays only; the torch code is in
// nn/torch/roi_net.cpp behind the module seam (nn/backend.hpp).
//
//   input: the image resampled (area average) to side x side, standardised (zero mean, unit variance)
//   4 levels of [Conv 3x3, GroupNorm(8), ReLU] x2 with base, 2 base, 4 base, 8 base channels, max-pool 2x2
//   between them, a bottleneck of 8 base channels at side/16, and a decoder of nearest 2x upsampling,
//   concatenation with the level's features and the same double convolution; a 1x1 convolution gives one
//   logit per pixel, sigmoid = probability of the region of interest.
//
// A weights file holds arch "roi-unet", kRoiArchVersion, and in its training record an object "roi":
// {"kind", "side", "base_channels"}: the image kind the network was trained for is part of the file, and
// a caller asking for another kind is refused (so the chaos planner can fall back to its key-driven plan).
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

inline constexpr std::string_view kRoiArch = "roi-unet";
inline constexpr std::uint32_t kRoiArchVersion = 1;
// The image kinds medcrypt has labelled masks for (../shared/data/train).
inline constexpr std::string_view kRoiKindLung = "lung";                 // lung fields on chest X-ray
inline constexpr std::string_view kRoiKindBrainTumour = "brain-tumour";  // tumours on T1 brain MRI

struct RoiConfig {
  std::string kind;        // what the network was trained for
  int side = 128;          // input side (multiple of 16)
  int base_channels = 16;  // multiple of 8 (GroupNorm of 8 groups)
};
Status check_roi_config(const RoiConfig& config);

// One training or validation example at the network's resolution: side x side values each.
struct RoiSample {
  std::vector<float> image;  // standardised (roi_input)
  std::vector<float> mask;   // in [0, 1] (area-averaged from the full-size mask)
};

struct RoiTrainOptions {
  RoiConfig config;
  int epochs = 30;
  int batch = 8;
  std::size_t steps_per_epoch = 0;  // 0: one pass over the training samples
  double learning_rate = 2e-3;      // Adam, cosine decay to 5% over the epochs
  double validation_fraction = 0.1; // of the training samples, seeded: picks the best epoch
  bool augment = true;              // random flip, rotation +-10 deg, scale 0.9-1.1, shift +-8%, contrast
  double max_seconds = 0;           // stop after the epoch that passes this (0: no limit)
  std::uint64_t seed = 1;
  int threads = 0;                  // 0: torch's default
  std::string command;              // recorded in the training record
  std::string split_json = "{}";    // how the test split was made, recorded for `eval roi`
};

struct RoiEpoch {
  int epoch = 0;
  double train_loss = 0, validation_loss = 0, validation_dice = 0, seconds = 0;
};

struct RoiTrainReport {
  std::vector<RoiEpoch> epochs;
  int best_epoch = 0;
  double best_validation_dice = 0;
  double seconds = 0;
  bool stopped_by_time = false;
  std::size_t train_samples = 0, validation_samples = 0;
  Weights best;  // the best epoch's weights with the full training record
};

struct RoiProgress {
  int epoch = 0, epochs = 0;
  std::size_t step = 0, steps = 0;
  double loss = 0;
};
using RoiProgressFn = std::function<void(const RoiProgress&)>;

// One network's prediction for one image, at the image's own size.
struct RoiMask {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> mask;  // width * height, row-major, 1 = region of interest
  double coverage = 0;             // share of pixels in the region
  double confidence = 0;           // mean |2p - 1| over the pixels: low when the network is unsure
};

class RoiModel {
 public:
  static Result<RoiModel> fresh(const RoiConfig& config, std::uint64_t seed);
  // Refuses other architectures and versions, and files without the "roi" description.
  static Result<RoiModel> from_weights(const Weights& weights);
  static Result<RoiModel> load(const std::filesystem::path& path);
  // The shipped network for `kind`: $MEDCRYPT_MODELS/roi-KIND.weights, else this source tree's models/.
  // kUnsupported when there is none for that kind.
  static Result<RoiModel> for_kind(std::string_view kind);

  const RoiConfig& config() const;
  const std::string& kind() const { return config().kind; }
  const std::string& digest_hex() const;
  const std::string& training_json() const;  // the file's training record ("{}" for fresh ones)

  // Grey single-frame integer images only (an RGB, palette, multi-frame or floating-point image is
  // kUnsupported). `expected_kind`, when given, must be the network's kind (kUnsupported otherwise).
  Result<RoiMask> predict(const image::Image& image, std::string_view expected_kind = {}) const;
  // Probabilities for `count` inputs of side x side already made by roi_input.
  Result<std::vector<float>> probabilities(std::span<const float> inputs, int count) const;

  struct Impl;

 private:
  explicit RoiModel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// What the chaos planner calls: the shipped network for `kind` (loaded once per process) on `image`,
// width * height bytes of 0/1. kUnsupported when no network exists for the kind or the image is not one
// it takes: the planner then falls back to its key-driven plan.
Result<std::vector<std::uint8_t>> predict_roi(const image::Image& image, std::string_view kind);

std::filesystem::path roi_model_path(std::string_view kind);

// Whether a network of `network_kind` takes images of `kind`; a network trained on several sets (for the
// one-network-or-several measurement) has its kinds joined by '+'.
bool trained_for(std::string_view network_kind, std::string_view kind);

Result<Weights> with_roi_description(Weights weights, const RoiConfig& config);

// The network's input for one grey image: area-averaged to side x side, values / max, standardised.
Result<std::vector<float>> roi_input(const image::Image& image, int side);
// A 0/255 (or 0/1) mask image area-averaged to side x side values in [0, 1].
Result<std::vector<float>> roi_target(const image::Image& mask, int side);

Result<RoiTrainReport> train_roi(const std::vector<RoiSample>& samples, const RoiTrainOptions& options,
                                 const RoiProgressFn& progress = {});

}  // namespace medcrypt::nn
