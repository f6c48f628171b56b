// The seam between medcrypt and libtorch. libtorch costs ~0.9 s and ~150 MB at process start (its
// operator registry), so it lives in a module, libmedcrypt_torch.so (src/nn/torch/), loaded with dlopen
// the first time a network is needed: `medcrypt info` or `send` never pay for it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "nn/autoencoder.hpp"
#include "nn/classifier.hpp"
#include "nn/distinguisher.hpp"
#include "nn/keygen.hpp"
#include "nn/roi.hpp"
#include "nn/training.hpp"

namespace medcrypt::nn {

// One autoencoder's weights inside torch.
class Network {
 public:
  virtual ~Network() = default;
  virtual int channels() const = 0;
  virtual AeVariant variant() const = 0;
  // Copies the tensors in; refuses unknown names and wrong shapes.
  virtual Status load(const Weights& weights) = 0;
  virtual Weights weights() const = 0;  // arch, version and tensors; no training record or digest
  virtual void set_decoder_path(DecoderPath path) = 0;
  virtual Result<std::vector<float>> encode(std::span<const float> tiles, int count, int height, int width) = 0;
  virtual Result<std::vector<float>> decode(std::span<const float> latent, int count, int height, int width) = 0;
};

// One ROI network's weights inside torch (nn/roi.hpp).
class RoiNetwork {
 public:
  virtual ~RoiNetwork() = default;
  virtual Status load(const Weights& weights) = 0;  // refuses unknown names and wrong shapes
  virtual Weights weights() const = 0;              // tensors only
  // count x side x side inputs -> as many probabilities in [0, 1].
  virtual Result<std::vector<float>> predict(std::span<const float> inputs, int count, int side) = 0;
};

// One ZZ-GAN key generator's weights inside torch (nn/keygen.hpp).
class KeygenNetwork {
 public:
  virtual ~KeygenNetwork() = default;
  virtual Status load(const Weights& weights) = 0;  // refuses unknown names and wrong shapes
  virtual Weights weights() const = 0;              // tensors only
  // One input of height x width (multiples of 4) in float64; `threads` > 0 for this call only.
  virtual Result<std::vector<double>> generate(std::span<const float> input, int height, int width, int threads) = 0;
};

// One classifier's weights inside torch (nn/classifier.hpp).
class ClassifierNetwork {
 public:
  virtual ~ClassifierNetwork() = default;
  virtual Status load(const Weights& weights) = 0;  // refuses unknown names and wrong shapes
  virtual Weights weights() const = 0;              // tensors only
  // count x channels x side x side inputs -> count rows of class probabilities.
  virtual Result<std::vector<float>> predict(std::span<const float> inputs, int count) = 0;
  // The same inputs -> count rows of what the linear head takes (ClassifierModel::features).
  virtual Result<std::vector<float>> features(std::span<const float> inputs, int count) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<std::unique_ptr<Network>> create(int channels, AeVariant variant, std::uint64_t seed) const = 0;
  // `initial` (optional) are the weights to start from; `checkpoint` gets each epoch's weights.
  virtual Result<TrainReport> train(const std::vector<image::Image>& images, const TrainOptions& options,
                                    const Weights* initial, const ProgressFn& progress,
                                    const CheckpointFn& checkpoint) const = 0;
  virtual std::vector<std::uint16_t> to_float16(std::span<const float> values) const = 0;
  virtual std::vector<float> from_float16(std::span<const std::uint16_t> values) const = 0;
  virtual Result<std::unique_ptr<RoiNetwork>> create_roi(const RoiConfig& config, std::uint64_t seed) const = 0;
  virtual Result<RoiTrainReport> train_roi(const std::vector<RoiSample>& samples, const RoiTrainOptions& options,
                                           const RoiProgressFn& progress) const = 0;
  virtual Result<std::unique_ptr<KeygenNetwork>> create_keygen(const KeygenConfig& config, std::uint64_t seed) const = 0;
  virtual Result<KeygenTrainReport> train_keygen(const std::vector<GreyPlane>& train, const std::vector<GreyPlane>& held_out,
                                                 const KeygenTrainOptions& options,
                                                 const KeygenProgressFn& progress) const = 0;
  virtual Result<DistinguisherResult> train_distinguisher(const std::vector<DistinguisherSample>& train,
                                                          const std::vector<DistinguisherSample>& held_out,
                                                          const DistinguisherOptions& options) const = 0;
  virtual Result<std::unique_ptr<ClassifierNetwork>> create_classifier(const ClassifierConfig& config,
                                                                       std::uint64_t seed) const = 0;
  virtual Result<ClassifierTrainReport> train_classifier(const std::vector<ClassifierSample>& samples,
                                                         const ClassifierTrainOptions& options,
                                                         const ClassifierProgressFn& progress) const = 0;
  // The Adamax optimizer training uses (nn/torch/adamax.hpp) on one parameter vector: starting from
  // `start`, one step per gradient vector with learning rate `lr`; the parameters after each step. For
  // checking it against the update formula computed elsewhere.
  virtual Result<std::vector<std::vector<float>>> adamax_trace(std::span<const float> start,
                                                               const std::vector<std::vector<float>>& gradients,
                                                               double lr) const = 0;
};

// Loads the module once ($MEDCRYPT_TORCH_MODULE, else the one built beside medcrypt); a clear error if absent.
Result<const Backend*> torch_backend();

}  // namespace medcrypt::nn

// What the module exports.
extern "C" const medcrypt::nn::Backend* medcrypt_torch_backend();
