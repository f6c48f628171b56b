// Paper 001's ZZ-GAN key generator: an image-to-image generator (DeepKeyGen's layout, Ding et al., IEEE
// TNNLS 2022, shrunk for a CPU) trained adversarially to turn its input into an image a discriminator
// cannot tell from uniform random noise (the "transformation domain"). Plain arrays only; the torch code
// is in nn/torch/keygen_net.cpp behind the module seam (nn/backend.hpp).
//
//   generator: [Conv 7x7, InstanceNorm, ReLU] with b channels; two [Conv 3x3 stride 2, IN, ReLU] to 2b
//   and 4b; `res_blocks` residual blocks of two [Conv 3x3, IN] with 4b channels; two [nearest 2x
//   upsampling, Conv 3x3, IN, ReLU] to 2b and b; Conv 7x7 to one channel; tanh. Zero padding throughout,
//   so any multiple-of-4 input works (DeepKeyGen: b = 64, 6 blocks, transposed convolutions).
//   discriminator (PatchGAN): Conv 4x4 stride 2 (b), LeakyReLU 0.2; Conv 4x4 stride 2 (2b), IN, LReLU;
//   Conv 4x4 (4b), IN, LReLU; Conv 4x4 to one score per patch. Least-squares GAN losses.
//
// Inference runs in float64, so that the key words (the output quantised to 8 or 16 bits) come out the
// same on every machine and thread count in practice: a float32 rounding difference would flip words.
// The scheme does not rely on it: the key image travels sealed in the payload (schemes/zigzag_gan.hpp).
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

inline constexpr std::string_view kKeygenArch = "zz-gan-keygen";
inline constexpr std::uint32_t kKeygenArchVersion = 1;
// Inference runs on tiles of at most this side: at 256, a 7x7 layer's float64 im2col buffer (200 MB) is
// mapped and unmapped per call, and a 256x256 key took 12x the time of a 128x128 one, not 4x.
inline constexpr int kKeygenTile = 128;

struct KeygenConfig {
  int base_channels = 8;  // b, in [4, 64]
  int res_blocks = 3;     // in [1, 9]
};
Status check_keygen_config(const KeygenConfig& config);

struct KeygenTrainOptions {
  KeygenConfig config;
  int epochs = 10;
  int batch = 8;
  int crop = 64;                    // side of the training crops (multiple of 4)
  std::size_t steps_per_epoch = 200;
  double learning_rate = 2e-4;      // Adam, betas (0.5, 0.999) for both networks (CycleGAN's)
  double noise_share = 0.5;         // share of each batch that is uniform seed noise, not a medical crop
  double max_seconds = 0;           // stop before an epoch that would end past this (0: no limit)
  std::uint64_t seed = 1;
  int threads = 0;                  // 0: torch's default
  std::string command;              // recorded in the training record
  std::string data_json = "{}";     // what the images were, recorded
};

// The configuration, crop, epochs, batch, steps, learning rate and noise share, before any data is read.
Status check_keygen_options(const KeygenTrainOptions& options);

// One epoch; the key figures are on the held-out images, at the crop size, quantised to 8 bits.
struct KeygenEpoch {
  int epoch = 0;
  double generator_loss = 0, discriminator_loss = 0;
  double key_entropy = 0;      // bits per 8-bit key word (8 is uniform)
  double key_correlation = 0;  // |horizontal adjacent-pixel correlation| of the keys
  double seconds = 0;
};

struct KeygenTrainReport {
  std::vector<KeygenEpoch> epochs;
  double seconds = 0;
  bool stopped_by_time = false;
  std::size_t train_images = 0, held_out_images = 0;
  Weights last;  // the generator's weights after the last epoch, with the training record
};

struct KeygenProgress {
  int epoch = 0, epochs = 0;
  std::size_t step = 0, steps = 0;
  double generator_loss = 0, discriminator_loss = 0;
};
using KeygenProgressFn = std::function<void(const KeygenProgress&)>;

class KeyGenerator {
 public:
  static Result<KeyGenerator> fresh(const KeygenConfig& config, std::uint64_t seed);
  // Refuses other architectures and versions, and files without the "keygen" description.
  static Result<KeyGenerator> from_weights(const Weights& weights);
  static Result<KeyGenerator> load(const std::filesystem::path& path);
  // The shipped generator, keygen_model_path(), loaded once per process; kUnsupported when there is none.
  static Result<KeyGenerator> shipped();

  const KeygenConfig& config() const;
  const std::string& digest_hex() const;
  const std::string& training_json() const;

  // The generator on one grey input of height x width values in [-1, 1] (any size: padded to a multiple
  // of 4, run tile by tile, cropped back), in float64: height x width values in [-1, 1]. `threads` > 0
  // runs torch with that many threads for this call (tests check the result does not depend on it).
  Result<std::vector<double>> generate(std::span<const float> input, std::uint32_t height, std::uint32_t width,
                                       int threads = 0) const;

  struct Impl;

 private:
  explicit KeyGenerator(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// $MEDCRYPT_MODELS/zigzag-gan-keygen.weights, else this source tree's models/.
std::filesystem::path keygen_model_path();

// A generator output value in [-1, 1] as a key word of `bits` (8 or 16): floor((v + 1) / 2 * 2^bits),
// clamped.
std::uint32_t key_word(double value, unsigned bits);

// A grey image as the generator sees it: values / max scaled to [-1, 1], row-major.
struct GreyPlane {
  std::uint32_t height = 0, width = 0;
  std::vector<float> values;
};
// Grey single-frame integer images only (the dataset loader converts colour and splits frames).
Result<GreyPlane> keygen_plane(const image::Image& image);

// Trains on grey images at least `crop` on each side (random crops); `held_out` measure the keys after
// each epoch.
Result<KeygenTrainReport> train_keygen(const std::vector<GreyPlane>& train, const std::vector<GreyPlane>& held_out,
                                       const KeygenTrainOptions& options, const KeygenProgressFn& progress = {});

}  // namespace medcrypt::nn
