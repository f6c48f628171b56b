// The paper-002 autoencoder in torch, and the module's entry point (nn/backend.hpp). One of the two files
// that include torch (the other is training.cpp): each takes about 30 s to compile.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <thread>

#include <malloc.h>

#include <c10/util/Half.h>

#include "nn/torch/adamax.hpp"
#include "nn/torch/network.hpp"

namespace medcrypt::nn {
namespace {

torch::nn::Conv2d conv(int in, int out, int kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

Status check_tiles(std::size_t size, int count, int channels, int height, int width) {
  if (count <= 0 || height <= 0 || width <= 0 || height % 2 != 0 || width % 2 != 0) {
    return make_error(ErrorCode::kInternal, "autoencoder: tiles need a positive count and even sides");
  }
  if (size != std::size_t(count) * channels * height * width) {
    return make_error(ErrorCode::kInternal, "autoencoder: tile buffer does not match its shape");
  }
  return {};
}

std::vector<float> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

TransposedConv2dImpl::TransposedConv2dImpl(int in, int out, int kernel) : kernel_(kernel) {
  // ConvTranspose2d's initialisation: kaiming-uniform(a = sqrt 5) computed on its [in, out, k, k] layout.
  weight_ = register_parameter("weight", torch::empty({in, out, kernel, kernel}));
  bias_ = register_parameter("bias", torch::empty({out}));
  torch::nn::init::kaiming_uniform_(weight_, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(double(out) * kernel * kernel);
  torch::nn::init::uniform_(bias_, -bound, bound);
}

torch::Tensor TransposedConv2dImpl::conv_weight() const {
  // Same function: correlate with the kernel rotated by 180 degrees, in/out swapped, padding k - 1 - p.
  return weight_.flip({2, 3}).transpose(0, 1).contiguous();
}

torch::Tensor TransposedConv2dImpl::forward(const torch::Tensor& x, bool as_conv_transpose2d) {
  const int pad = kernel_ / 2;
  if (as_conv_transpose2d) return torch::conv_transpose2d(x, weight_, bias_, 1, pad);
  return torch::conv2d(x, conv_weight(), bias_, 1, kernel_ - 1 - pad);
}

// Output pixel (2i+a, 2j+b) of "upsample 2x, then 3x3 convolution" reads only source rows i-1+a, i+a and
// columns j-1+b, j+b: phase (a, b) is a 2x2 convolution of the small image whose taps are the sums of
// the 3x3 taps that land on the same source pixel. One Conv2d computes the four phases (padding 1 puts
// phase (a, b) of pixel (i, j) at (i+a, j+b)); they are then interleaved.
torch::Tensor TransposedConv2dImpl::forward_upsampled(const torch::Tensor& x) {
  TORCH_CHECK(kernel_ == 3, "forward_upsampled needs a 3x3 kernel");
  const auto fold = [](const torch::Tensor& w, int phase, int dim) {
    const auto tap = [&](int i) { return w.narrow(dim, i, 1); };
    return phase == 0 ? torch::cat({tap(0), tap(1) + tap(2)}, dim) : torch::cat({tap(0) + tap(1), tap(2)}, dim);
  };
  const torch::Tensor w = conv_weight();
  std::vector<torch::Tensor> phases;
  for (int a : {0, 1}) {
    for (int b : {0, 1}) phases.push_back(fold(fold(w, a, 2), b, 3));
  }
  const std::int64_t n = x.size(0), h = x.size(2), width = x.size(3), out = w.size(0);
  const torch::Tensor y = torch::conv2d(x.contiguous(), torch::cat(phases), bias_.repeat({4}), 1, 1);
  torch::Tensor result = torch::empty({n, out, h, 2, width, 2}, x.options());
  for (int a : {0, 1}) {
    for (int b : {0, 1}) {
      result.select(5, b).select(3, a).copy_(y.narrow(1, (2 * a + b) * out, out).narrow(2, a, h).narrow(3, b, width));
    }
  }
  return result.view({n, out, 2 * h, 2 * width});
}

AutoencoderNetImpl::AutoencoderNetImpl(int c, AeVariant v)
    : channels(c),
      variant(v),
      enc1_(register_module("enc1", conv(c, 64, 3))),
      enc2_(register_module("enc2", conv(64, 64, 3))),
      enc3_(register_module("enc3", conv(64, 32, 3))) {
  // Registration order is the weight files' tensor order, so the tuned variant's stays as it was.
  const bool dense = v != AeVariant::kPaperFeatures;
  if (dense) enc_dense_ = register_module("enc_dense", conv(32, kLatentChannels, 1));
  if (dense) dec_dense_ = register_module("dec_dense", conv(kLatentChannels, 3, 1));
  if (v == AeVariant::kTuned) out_ = register_module("out", conv(64, c, 1));
  dec1_ = register_module("dec1", TransposedConv2d(dense ? 3 : 32, 32, 3));
  dec2_ = register_module("dec2", TransposedConv2d(32, 64, 3));
  dec3_ = register_module("dec3", TransposedConv2d(64, 64, 3));
  if (v != AeVariant::kTuned) out_transposed_ = register_module("out", TransposedConv2d(64, c, 3));
}

torch::Tensor AutoencoderNetImpl::encode(torch::Tensor x) {
  // Channels-last makes the 3-channel first convolution and the pooling ~10x faster with oneDNN.
  x = torch::relu(enc1_(x.contiguous(torch::MemoryFormat::ChannelsLast)));
  x = torch::max_pool2d(x, 2);
  x = torch::relu(enc2_(x));
  x = torch::relu(enc3_(x));
  return (enc_dense_ ? enc_dense_(x) : x).contiguous();
}

torch::Tensor AutoencoderNetImpl::decode(torch::Tensor z) {
  const bool fast = path == DecoderPath::kFast, reference = path == DecoderPath::kConvTranspose2d;
  // kFast is inference only (DecoderPath), so its ReLUs may overwrite their input.
  const auto relu = [fast](torch::Tensor t) { return fast ? t.relu_() : torch::relu(t); };
  z = z.contiguous();
  if (dec_dense_) z = dec_dense_(z);  // linear: a ReLU on 3 units can die and starve the whole decoder
  z = relu(dec1_(z, reference));
  z = fast ? dec2_->forward_upsampled(z)
           : dec2_(torch::upsample_nearest2d(z, {z.size(2) * 2, z.size(3) * 2}), reference);
  z = relu(z);
  z = relu(dec3_(z, reference));
  return torch::sigmoid(out_ ? out_(z) : out_transposed_(z, reference));
}

Result<AutoencoderNet> make_net(int channels, AeVariant variant, std::uint64_t seed) {
  return torch_call("autoencoder", [&] {
    torch::manual_seed(seed);
    return AutoencoderNet(channels, variant);
  });
}

Weights module_weights(torch::nn::Module& module) {
  Weights w;
  for (const auto& p : module.named_parameters()) {
    w.tensors.push_back(NamedTensor{p.key(), p.value().sizes().vec(), to_vector(p.value().detach().to(torch::kFloat32))});
  }
  return w;
}

Status load_module_weights(torch::nn::Module& module, const Weights& w, const std::string& what) {
  auto params = module.named_parameters();
  if (params.size() != w.tensors.size()) {
    return make_error(ErrorCode::kVersion, "weights hold " + std::to_string(w.tensors.size()) + " tensors, " + what + " has " +
                                               std::to_string(params.size()));
  }
  torch::NoGradGuard no_grad;
  for (const NamedTensor& t : w.tensors) {
    torch::Tensor* p = params.find(t.name);
    if (p == nullptr) return make_error(ErrorCode::kVersion, "weights hold tensor '" + t.name + "', unknown to " + what);
    if (p->sizes().vec() != t.shape) return make_error(ErrorCode::kVersion, "weights: tensor '" + t.name + "' has the wrong shape");
    p->copy_(torch::from_blob(const_cast<float*>(t.values.data()), t.shape, torch::kFloat32));
  }
  return {};
}

Status load_weights(AutoencoderNet& net, const Weights& w) {
  return load_module_weights(*net, w, autoencoder_arch(net->channels, net->variant));
}

Weights net_weights(AutoencoderNet& net) {
  Weights w = module_weights(*net);
  w.arch = autoencoder_arch(net->channels, net->variant);
  w.arch_version = kArchVersion;
  return w;
}

std::pair<torch::Tensor, torch::Tensor> augment_affine(const torch::Tensor& x, const torch::Tensor& mask,
                                                       std::mt19937_64& rng, bool flip) {
  const long n = x.size(0);
  std::uniform_real_distribution<double> u(-1, 1);
  torch::Tensor theta = torch::zeros({n, 2, 3});
  torch::Tensor gain = torch::empty({n, 1, 1, 1}), offset = torch::empty({n, 1, 1, 1});
  auto a = theta.accessor<float, 3>();
  for (long i = 0; i < n; ++i) {
    const double angle = u(rng) * 10 * std::numbers::pi / 180, scale = 1 + 0.1 * u(rng);
    const bool mirror = (rng() & 1) != 0 && flip;  // drawn either way: the same seed gives the same warps
    const double sign = mirror ? -1 : 1, c = std::cos(angle) / scale, s = std::sin(angle) / scale;
    // Output (x, y) samples the input at theta (x, y, 1), in [-1, 1] coordinates.
    a[i][0][0] = static_cast<float>(c * sign);
    a[i][0][1] = static_cast<float>(-s);
    a[i][0][2] = static_cast<float>(0.08 * u(rng));
    a[i][1][0] = static_cast<float>(s * sign);
    a[i][1][1] = static_cast<float>(c);
    a[i][1][2] = static_cast<float>(0.08 * u(rng));
    gain[i] = 1 + 0.15 * u(rng);
    offset[i] = 0.15 * u(rng);
  }
  const torch::Tensor grid = torch::affine_grid_generator(theta, {n, 1, x.size(2), x.size(3)}, false);
  torch::Tensor xa = torch::grid_sampler(x, grid, 0, 1, false) * gain + offset;
  torch::Tensor ma = mask.defined() ? torch::grid_sampler(mask, grid, 0, 0, false) : torch::Tensor();
  return {xa, ma};
}

namespace {

class TorchNetwork final : public Network {
 public:
  explicit TorchNetwork(AutoencoderNet net) : net_(std::move(net)) {
    net_->eval();
    net_->path = DecoderPath::kFast;
    for (auto& p : net_->parameters()) p.requires_grad_(false);  // inference only
  }
  int channels() const override { return net_->channels; }
  AeVariant variant() const override { return net_->variant; }
  Status load(const Weights& w) override {
    return torch_call("autoencoder weights", [&] { return load_weights(net_, w); });
  }
  Weights weights() const override { return net_weights(net_); }
  void set_decoder_path(DecoderPath path) override { net_->path = path; }

  Result<std::vector<float>> encode(std::span<const float> tiles, int count, int height, int width) override {
    MEDCRYPT_TRY(check_tiles(tiles.size(), count, channels(), height, width));
    return torch_call("autoencoder encoder", [&] {
      torch::InferenceMode guard;
      auto x = torch::from_blob(const_cast<float*>(tiles.data()), {count, channels(), height, width}, torch::kFloat32);
      return to_vector(net_->encode(x));
    });
  }
  Result<std::vector<float>> decode(std::span<const float> latent, int count, int height, int width) override {
    const int latent_channels = nn::latent_channels(net_->variant);
    MEDCRYPT_TRY(check_tiles(latent.size(), count, latent_channels, height, width));
    return torch_call("autoencoder decoder", [&] {
      torch::InferenceMode guard;
      auto z = torch::from_blob(const_cast<float*>(latent.data()), {count, latent_channels, height, width},
                                torch::kFloat32);
      return to_vector(net_->decode(z));
    });
  }

 private:
  mutable AutoencoderNet net_;
};

class TorchBackend final : public Backend {
 public:
  TorchBackend() {
    // torch counts physical cores (1 on a 2-vCPU VM); medcrypt uses every hardware thread.
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    // Each layer allocates and frees ~13 MB activations. glibc would map and unmap every one of them
    // (and trim the heap after), and the page faults cost as much as the encoder's arithmetic: measured
    // 45 -> 22 ms per 224x224 tile. Keep such blocks on the heap for reuse.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
  }
  Result<std::unique_ptr<Network>> create(int channels, AeVariant variant, std::uint64_t seed) const override {
    MEDCRYPT_ASSIGN_OR_RETURN(AutoencoderNet net, make_net(channels, variant, seed));
    return std::unique_ptr<Network>(std::make_unique<TorchNetwork>(std::move(net)));
  }
  Result<TrainReport> train(const std::vector<image::Image>& images, const TrainOptions& options,
                            const Weights* initial, const ProgressFn& progress,
                            const CheckpointFn& checkpoint) const override {
    return train_net(images, options, initial, progress, checkpoint);
  }
  Result<std::unique_ptr<RoiNetwork>> create_roi(const RoiConfig& config, std::uint64_t seed) const override {
    return make_roi_network(config, seed);
  }
  Result<RoiTrainReport> train_roi(const std::vector<RoiSample>& samples, const RoiTrainOptions& options,
                                   const RoiProgressFn& progress) const override {
    return train_roi_net(samples, options, progress);
  }
  Result<std::unique_ptr<KeygenNetwork>> create_keygen(const KeygenConfig& config, std::uint64_t seed) const override {
    return make_keygen_network(config, seed);
  }
  Result<KeygenTrainReport> train_keygen(const std::vector<GreyPlane>& train, const std::vector<GreyPlane>& held_out,
                                         const KeygenTrainOptions& options,
                                         const KeygenProgressFn& progress) const override {
    return train_keygen_net(train, held_out, options, progress);
  }
  Result<std::unique_ptr<ClassifierNetwork>> create_classifier(const ClassifierConfig& config,
                                                               std::uint64_t seed) const override {
    return make_classifier_network(config, seed);
  }
  Result<ClassifierTrainReport> train_classifier(const std::vector<ClassifierSample>& samples,
                                                 const ClassifierTrainOptions& options,
                                                 const ClassifierProgressFn& progress) const override {
    return train_classifier_net(samples, options, progress);
  }
  Result<DistinguisherResult> train_distinguisher(const std::vector<DistinguisherSample>& train,
                                                  const std::vector<DistinguisherSample>& held_out,
                                                  const DistinguisherOptions& options) const override {
    return train_distinguisher_net(train, held_out, options);
  }
  Result<std::vector<std::vector<float>>> adamax_trace(std::span<const float> start,
                                                       const std::vector<std::vector<float>>& gradients,
                                                       double lr) const override {
    return torch_call("adamax", [&] {
      torch::Tensor p = torch::tensor(std::vector<float>(start.begin(), start.end())).requires_grad_(false);
      Adamax adamax({p}, AdamaxOptions(lr));
      std::vector<std::vector<float>> trace;
      for (const auto& g : gradients) {
        p.mutable_grad() = torch::tensor(g);
        adamax.step();
        trace.push_back(to_vector(p));
      }
      return trace;
    });
  }
  std::vector<std::uint16_t> to_float16(std::span<const float> values) const override {
    std::vector<std::uint16_t> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = c10::Half(values[i]).x;
    return out;
  }
  std::vector<float> from_float16(std::span<const std::uint16_t> values) const override {
    std::vector<float> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<float>(c10::Half(values[i], c10::Half::from_bits()));
    return out;
  }
};

}  // namespace
}  // namespace medcrypt::nn

extern "C" __attribute__((visibility("default"))) const medcrypt::nn::Backend* medcrypt_torch_backend() {
  static const medcrypt::nn::TorchBackend backend;
  return &backend;
}
