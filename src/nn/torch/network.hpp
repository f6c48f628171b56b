// The torch module behind nn::Network (inference in network.cpp, training in training.cpp).
#pragma once

#include <random>

#include <torch/torch.h>

#include "nn/backend.hpp"

namespace medcrypt::nn {

// A stride-1 transposed convolution; its weight has ConvTranspose2d's layout [in, out, k, k].
class TransposedConv2dImpl : public torch::nn::Module {
 public:
  TransposedConv2dImpl(int in, int out, int kernel);
  torch::Tensor forward(const torch::Tensor& x, bool as_conv_transpose2d = false);
  // forward(nearest 2x upsampling of x), computed without upsampling; kernel 3 only.
  torch::Tensor forward_upsampled(const torch::Tensor& x);

 private:
  torch::Tensor conv_weight() const;  // the equivalent Conv2d's weight [out, in, k, k]
  int kernel_;
  torch::Tensor weight_, bias_;
};
TORCH_MODULE(TransposedConv2d);

class AutoencoderNetImpl : public torch::nn::Module {
 public:
  AutoencoderNetImpl(int channels, AeVariant variant);
  torch::Tensor encode(torch::Tensor x);
  torch::Tensor decode(torch::Tensor z);
  torch::Tensor forward(const torch::Tensor& x) { return decode(encode(x)); }
  int channels;
  AeVariant variant;
  DecoderPath path = DecoderPath::kFlippedConv2d;  // training's; inference switches to kFast

 private:
  torch::nn::Conv2d enc1_, enc2_, enc3_;
  torch::nn::Conv2d enc_dense_{nullptr}, dec_dense_{nullptr}, out_{nullptr};  // by variant
  TransposedConv2d dec1_{nullptr}, dec2_{nullptr}, dec3_{nullptr}, out_transposed_{nullptr};
};
TORCH_MODULE(AutoencoderNet);

// Fresh weights from `seed`, or a copy of `weights` (names and shapes checked).
Result<AutoencoderNet> make_net(int channels, AeVariant variant, std::uint64_t seed);
Status load_weights(AutoencoderNet& net, const Weights& weights);
Weights net_weights(AutoencoderNet& net);

Result<TrainReport> train_net(const std::vector<image::Image>& images, const TrainOptions& options,
                              const Weights* initial, const ProgressFn& progress, const CheckpointFn& checkpoint);

// The ROI U-Net (roi_net.cpp).
Result<std::unique_ptr<RoiNetwork>> make_roi_network(const RoiConfig& config, std::uint64_t seed);
Result<RoiTrainReport> train_roi_net(const std::vector<RoiSample>& samples, const RoiTrainOptions& options,
                                     const RoiProgressFn& progress);

// The ZZ-GAN key generator (keygen_net.cpp).
Result<std::unique_ptr<KeygenNetwork>> make_keygen_network(const KeygenConfig& config, std::uint64_t seed);
Result<KeygenTrainReport> train_keygen_net(const std::vector<GreyPlane>& train, const std::vector<GreyPlane>& held_out,
                                           const KeygenTrainOptions& options, const KeygenProgressFn& progress);

// The cipher-image distinguisher (distinguisher_net.cpp).
Result<DistinguisherResult> train_distinguisher_net(const std::vector<DistinguisherSample>& train,
                                                    const std::vector<DistinguisherSample>& held_out,
                                                    const DistinguisherOptions& options);

// The classifier (classifier_net.cpp).
Result<std::unique_ptr<ClassifierNetwork>> make_classifier_network(const ClassifierConfig& config, std::uint64_t seed);
Result<ClassifierTrainReport> train_classifier_net(const std::vector<ClassifierSample>& samples,
                                                   const ClassifierTrainOptions& options,
                                                   const ClassifierProgressFn& progress);

// A module's parameters as weight tensors (float32), and back: `what` names the network in errors; the
// file must hold exactly the module's parameters, by name and shape.
Weights module_weights(torch::nn::Module& module);
Status load_module_weights(torch::nn::Module& module, const Weights& weights, const std::string& what);

// Random flip (when `flip`), rotation +-10 deg, scale 0.9-1.1 and shift +-8% (one affine warp per image,
// applied to `mask` too when it is defined: bilinear, the image's border repeats, the mask's outside is
// background), and contrast (gain and offset +-0.15) on the image.
std::pair<torch::Tensor, torch::Tensor> augment_affine(const torch::Tensor& x, const torch::Tensor& mask,
                                                       std::mt19937_64& rng, bool flip);

// Runs torch with `threads` threads until destroyed (0: unchanged).
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : previous_(torch::get_num_threads()) {
    if (threads > 0) torch::set_num_threads(threads);
  }
  ~ThreadScope() { torch::set_num_threads(previous_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_;
};

template <typename T>
struct AsResult {
  using type = Result<T>;
};
template <typename T>
struct AsResult<Result<T>> {
  using type = Result<T>;
};

// c10 exceptions become Errors here, so nothing outside the module sees them. `f` returns T or Result<T>.
template <typename F>
auto torch_call(const char* what, F&& f) -> typename AsResult<decltype(f())>::type {
  try {
    return f();
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    return make_error(ErrorCode::kInternal, std::string(what) + ": " + message);
  }
}

}  // namespace medcrypt::nn
