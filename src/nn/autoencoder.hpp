// The autoencoder of paper 002 (Table 2, Figure 4), behind a plain interface: no torch type leaks out,
// and torch itself is only loaded when a network is first made (nn/backend.hpp).
//
//   encoder: Conv 3x3 64, ReLU - MaxPool 2x2 - Conv 3x3 64, ReLU - Conv 3x3 32, ReLU - dense 3
//   decoder: dense 3 - ConvTranspose 3x3 32, ReLU - Upsample 2x (nearest) - ConvTranspose 3x3 64,
//            ReLU - ConvTranspose 3x3 64, ReLU - output, sigmoid
//
// "dense" is a Dense layer applied to every pixel, i.e. a 1x1 convolution. Three variants:
//   kTuned         medcrypt's (`ae-aes`): the output is a dense C; arch "ae-aes-rgb" / "ae-aes-gray"
//   kPaper         the paper's (`ae-aes:paper`): the output is a ConvTranspose 3x3 with C filters;
//                  arch "ae-aes-paper-rgb" / "ae-aes-paper-gray"
//   kPaperFeatures kPaper without the two dense 3 layers, which the paper adds only "so it can be
//                  visualized as an image": the latent is the 112x112x32 feature map; "ae-aes-paper32-..."
// A 224x224xC tile becomes a 112x112x3 (or x32) float latent. C is 3 (RGB) or 1 (grey). The network is
// fully convolutional; medcrypt feeds it 224x224 tiles (image_codec.hpp), any even size works.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "nn/weights_file.hpp"

namespace medcrypt::nn {

inline constexpr int kLatentChannels = 3;  // the dense bottleneck's
inline constexpr std::uint32_t kArchVersion = 1;

enum class AeVariant { kTuned, kPaper, kPaperFeatures };
inline int latent_channels(AeVariant v) { return v == AeVariant::kPaperFeatures ? 32 : kLatentChannels; }

// "ae-aes-gray" (1 channel) or "ae-aes-rgb" (3); "ae-aes-paper-rgb", "ae-aes-paper32-gray", ...
inline std::string autoencoder_arch(int channels, AeVariant variant = AeVariant::kTuned) {
  const char* kind = variant == AeVariant::kTuned ? "" : variant == AeVariant::kPaper ? "paper-" : "paper32-";
  return std::string("ae-aes-") + kind + (channels == 1 ? "gray" : "rgb");
}

// Three ways to compute the same decoder, equal up to float rounding (a test checks it):
//   kFast: the default for inference. Each transposed convolution as a Conv2d (below), and the
//     upsampling + 3x3 convolution pair as four 2x2 convolutions on the small image (4 multiplications
//     per output value instead of 9).
//   kFlippedConv2d: what training runs. Debian's torch runs ConvTranspose2d on the reference BLAS, ~20x
//     slower here than a Conv2d; a stride-1 transposed convolution is the same function as a convolution
//     with the kernel flipped and its in/out channels swapped.
//   kConvTranspose2d: torch's own layer, kept as the reference for the test and the benchmark.
enum class DecoderPath { kFast, kFlippedConv2d, kConvTranspose2d };

class Autoencoder {
 public:
  // Fresh weights, initialised from `seed` (torch's default initialisation).
  static Result<Autoencoder> fresh(int channels, std::uint64_t seed, AeVariant variant = AeVariant::kTuned);
  // Refuses weights whose architecture, version, tensor names or shapes are not this network's.
  static Result<Autoencoder> from_weights(const Weights& weights);
  static Result<Autoencoder> load(const std::filesystem::path& path);

  int channels() const;
  AeVariant variant() const;
  int latent_channels() const { return nn::latent_channels(variant()); }
  std::string arch() const { return autoencoder_arch(channels(), variant()); }
  const std::string& digest_hex() const;  // of the weights it was loaded from; empty for fresh ones
  Weights weights(const std::string& training_json = "{}") const;
  void set_decoder_path(DecoderPath path);

  // `count` tiles of channels() x height x width values in [0, 1] (planar, row-major), height and width
  // even -> count x latent_channels() x height/2 x width/2 latent values.
  Result<std::vector<float>> encode(std::span<const float> tiles, int count, int height, int width) const;
  // count x latent_channels() x height x width latent values -> count x channels() x 2height x 2width
  // values in [0, 1].
  Result<std::vector<float>> decode(std::span<const float> latent, int count, int height, int width) const;

  struct Impl;

 private:
  explicit Autoencoder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// IEEE binary16 <-> float32 (round to nearest even), for latents sent as float16.
Result<std::vector<std::uint16_t>> to_float16(std::span<const float> values);
Result<std::vector<float>> from_float16(std::span<const std::uint16_t> values);

}  // namespace medcrypt::nn
