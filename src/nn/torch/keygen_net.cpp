// The ZZ-GAN key generator of nn/keygen.hpp in torch: generator, PatchGAN discriminator, float64
// inference, and the adversarial training loop (least-squares GAN, Adam, seeded).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "nn/torch/network.hpp"

namespace medcrypt::nn {
namespace {

using Clock = std::chrono::steady_clock;

torch::nn::Conv2d conv(int in, int out, int kernel, int stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2));
}
torch::nn::InstanceNorm2d norm(int channels) {
  return torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(channels).affine(true));
}

class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(int c)
      : conv1_(register_module("conv1", conv(c, c, 3))), norm1_(register_module("norm1", norm(c))),
        conv2_(register_module("conv2", conv(c, c, 3))), norm2_(register_module("norm2", norm(c))) {}
  torch::Tensor forward(const torch::Tensor& x) { return x + norm2_(conv2_(torch::relu(norm1_(conv1_(x))))); }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::InstanceNorm2d norm1_;
  torch::nn::Conv2d conv2_;
  torch::nn::InstanceNorm2d norm2_;
};
TORCH_MODULE(ResidualBlock);

class GeneratorImpl : public torch::nn::Module {
 public:
  explicit GeneratorImpl(const KeygenConfig& c) {
    const int b = c.base_channels;
    in_ = register_module("in", conv(1, b, 7));
    in_norm_ = register_module("in_norm", norm(b));
    down1_ = register_module("down1", conv(b, 2 * b, 3, 2));
    down1_norm_ = register_module("down1_norm", norm(2 * b));
    down2_ = register_module("down2", conv(2 * b, 4 * b, 3, 2));
    down2_norm_ = register_module("down2_norm", norm(4 * b));
    for (int i = 0; i < c.res_blocks; ++i) blocks_.push_back(register_module("res" + std::to_string(i), ResidualBlock(4 * b)));
    // Nearest upsampling + convolution rather than ConvTranspose2d, which Debian's torch runs slowly.
    up1_ = register_module("up1", conv(4 * b, 2 * b, 3));
    up1_norm_ = register_module("up1_norm", norm(2 * b));
    up2_ = register_module("up2", conv(2 * b, b, 3));
    up2_norm_ = register_module("up2_norm", norm(b));
    out_ = register_module("out", conv(b, 1, 7));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(in_norm_(in_(x)));
    x = torch::relu(down1_norm_(down1_(x)));
    x = torch::relu(down2_norm_(down2_(x)));
    for (auto& block : blocks_) x = block(x);
    x = torch::relu(up1_norm_(up1_(up(x))));
    x = torch::relu(up2_norm_(up2_(up(x))));
    return torch::tanh(out_(x));
  }

 private:
  static torch::Tensor up(const torch::Tensor& x) { return torch::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}); }
  torch::nn::Conv2d in_{nullptr}, down1_{nullptr}, down2_{nullptr}, up1_{nullptr}, up2_{nullptr}, out_{nullptr};
  torch::nn::InstanceNorm2d in_norm_{nullptr}, down1_norm_{nullptr}, down2_norm_{nullptr}, up1_norm_{nullptr},
      up2_norm_{nullptr};
  std::vector<ResidualBlock> blocks_;
};
TORCH_MODULE(Generator);

class DiscriminatorImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorImpl(int b)
      : c1_(register_module("c1", conv(1, b, 4, 2))), c2_(register_module("c2", conv(b, 2 * b, 4, 2))),
        n2_(register_module("n2", norm(2 * b))), c3_(register_module("c3", conv(2 * b, 4 * b, 4))),
        n3_(register_module("n3", norm(4 * b))), c4_(register_module("c4", conv(4 * b, 1, 4))) {}
  torch::Tensor forward(torch::Tensor x) {  // one score per patch
    x = torch::leaky_relu(c1_(x), 0.2);
    x = torch::leaky_relu(n2_(c2_(x)), 0.2);
    x = torch::leaky_relu(n3_(c3_(x)), 0.2);
    return c4_(x);
  }

 private:
  torch::nn::Conv2d c1_, c2_;
  torch::nn::InstanceNorm2d n2_;
  torch::nn::Conv2d c3_;
  torch::nn::InstanceNorm2d n3_;
  torch::nn::Conv2d c4_;
};
TORCH_MODULE(Discriminator);

Weights generator_weights(Generator& net) {
  Weights w = module_weights(*net);
  w.arch = std::string(kKeygenArch);
  w.arch_version = kKeygenArchVersion;
  return w;
}

class TorchKeygenNetwork final : public KeygenNetwork {
 public:
  explicit TorchKeygenNetwork(Generator net) : net_(std::move(net)) { prepare(); }
  Status load(const Weights& w) override {
    return torch_call("key generator weights", [&]() -> Status {
      net_->to(torch::kFloat32);
      MEDCRYPT_TRY(load_module_weights(*net_, w, "the key generator"));
      prepare();
      return {};
    });
  }
  Weights weights() const override { return generator_weights(net_); }
  Result<std::vector<double>> generate(std::span<const float> input, int height, int width, int threads) override {
    return torch_call("key generator", [&] {
      ThreadScope scope(threads);
      torch::InferenceMode guard;
      const torch::Tensor x =
          torch::from_blob(const_cast<float*>(input.data()), {1, 1, height, width}, torch::kFloat32).to(torch::kFloat64);
      const torch::Tensor y = net_->forward(x).contiguous();
      return std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel());
    });
  }

 private:
  // Inference in float64 (nn/keygen.hpp says why); the float32 weights convert exactly.
  void prepare() {
    net_->eval();
    for (auto& p : net_->parameters()) p.requires_grad_(false);
    net_->to(torch::kFloat64);
  }
  mutable Generator net_;
};

// Shannon entropy of 8-bit words, and the horizontal adjacent-pixel correlation, of one key.
std::pair<double, double> key_statistics(const torch::Tensor& key) {
  const torch::Tensor words = ((key.to(torch::kFloat64) + 1) / 2 * 256).floor().clamp(0, 255);
  const torch::Tensor counts = torch::bincount(words.flatten().to(torch::kLong), {}, 256).to(torch::kFloat64);
  const torch::Tensor p = counts / counts.sum();
  const double entropy = -(p * torch::log2(p.clamp_min(1e-300))).sum().item<double>();
  const torch::Tensor a = words.narrow(-1, 0, words.size(-1) - 1).flatten(), b = words.narrow(-1, 1, words.size(-1) - 1).flatten();
  const torch::Tensor da = a - a.mean(), db = b - b.mean();
  const double denominator = std::sqrt((da * da).sum().item<double>() * (db * db).sum().item<double>());
  return {entropy, denominator > 0 ? std::abs((da * db).sum().item<double>() / denominator) : 1.0};
}

nlohmann::json record(const KeygenTrainOptions& o, const KeygenTrainReport& r) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const KeygenEpoch& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"generator_loss", e.generator_loss}, {"discriminator_loss", e.discriminator_loss},
                      {"key_entropy", e.key_entropy}, {"key_correlation", e.key_correlation}, {"seconds", e.seconds}});
  }
  nlohmann::json data = nlohmann::json::parse(o.data_json, nullptr, false);
  if (data.is_discarded()) data = nlohmann::json::object();
  return {{"command", o.command}, {"seed", o.seed}, {"batch", o.batch}, {"crop", o.crop},
          {"learning_rate", o.learning_rate}, {"optimizer", "Adam, betas (0.5, 0.999), both networks"},
          {"loss", "least-squares GAN: D (D(real) - 1)^2 + D(G(x))^2, halved; G (D(G(x)) - 1)^2"},
          {"target_domain", "uniform random images, continuous on [-1, 1]"},
          {"source_domain", "random crops of grey medical images (flipped at random) and uniform noise seeds"},
          {"noise_share", o.noise_share}, {"steps_per_epoch", o.steps_per_epoch}, {"planned_epochs", o.epochs},
          {"threads", o.threads}, {"data", data}, {"train_images", r.train_images},
          {"held_out_images", r.held_out_images}, {"stopped_by_time", r.stopped_by_time}, {"seconds", r.seconds},
          {"epochs", epochs}};
}

}  // namespace

Result<std::unique_ptr<KeygenNetwork>> make_keygen_network(const KeygenConfig& config, std::uint64_t seed) {
  return torch_call("key generator", [&]() -> std::unique_ptr<KeygenNetwork> {
    torch::manual_seed(seed);
    return std::make_unique<TorchKeygenNetwork>(Generator(config));
  });
}

Result<KeygenTrainReport> train_keygen_net(const std::vector<GreyPlane>& train, const std::vector<GreyPlane>& held_out,
                                           const KeygenTrainOptions& o, const KeygenProgressFn& progress) {
  // The options were checked by nn::train_keygen (keygen.cpp), outside this module.
  return torch_call("train keygen", [&]() -> Result<KeygenTrainReport> {
    ThreadScope scope(o.threads);
    const int crop = o.crop;
    std::mt19937_64 rng(o.seed);
    // A crop of a plane at (y, x), flipped left-right or not.
    const auto crop_of = [&](const GreyPlane& p, std::uint32_t y, std::uint32_t x, bool flip) {
      torch::Tensor t = torch::from_blob(const_cast<float*>(p.values.data()), {1, 1, long(p.height), long(p.width)}, torch::kFloat32)
                            .narrow(2, y, crop)
                            .narrow(3, x, crop)
                            .clone();
      return flip ? t.flip({3}) : t;
    };
    const auto batch_of_inputs = [&] {
      std::vector<torch::Tensor> parts;
      std::bernoulli_distribution noise(o.noise_share);
      for (int i = 0; i < o.batch; ++i) {
        if (noise(rng)) {
          // The scheme's seeds: uniform 8-bit levels scaled to [-1, 1].
          parts.push_back(torch::randint(0, 256, {1, 1, crop, crop}, torch::kFloat32) / 127.5 - 1);
        } else {
          const GreyPlane& p = train[rng() % train.size()];
          parts.push_back(crop_of(p, rng() % (p.height - crop + 1), rng() % (p.width - crop + 1), rng() & 1));
        }
      }
      return torch::cat(parts, 0);
    };
    // Held-out keys: a centred crop of each held-out image (twice the crop side where the image allows).
    std::vector<torch::Tensor> held;
    for (const GreyPlane& p : held_out) {
      const int side = static_cast<int>(std::min<std::uint32_t>({p.height, p.width, std::uint32_t(2 * crop)})) / 4 * 4;
      held.push_back(torch::from_blob(const_cast<float*>(p.values.data()), {1, 1, long(p.height), long(p.width)}, torch::kFloat32)
                         .narrow(2, (p.height - side) / 2, side)
                         .narrow(3, (p.width - side) / 2, side)
                         .clone());
    }

    torch::manual_seed(o.seed);
    Generator g(o.config);
    Discriminator d(o.config.base_channels);
    const auto adam_options = torch::optim::AdamOptions(o.learning_rate).betas({0.5, 0.999});
    torch::optim::Adam adam_g(g->parameters(), adam_options), adam_d(d->parameters(), adam_options);

    KeygenTrainReport report;
    report.train_images = train.size();
    report.held_out_images = held_out.size();
    const auto start = Clock::now();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      double g_sum = 0, d_sum = 0;
      for (std::size_t step = 1; step <= o.steps_per_epoch; ++step) {
        const torch::Tensor x = batch_of_inputs();
        const torch::Tensor real = torch::rand({o.batch, 1, crop, crop}) * 2 - 1;
        const torch::Tensor fake = g->forward(x);
        adam_d.zero_grad();
        const torch::Tensor loss_d =
            0.5 * ((d->forward(real) - 1).pow(2).mean() + d->forward(fake.detach()).pow(2).mean());
        loss_d.backward();
        adam_d.step();
        adam_g.zero_grad();
        const torch::Tensor loss_g = (d->forward(fake) - 1).pow(2).mean();
        loss_g.backward();
        adam_g.step();
        g_sum += loss_g.item<double>();
        d_sum += loss_d.item<double>();
        if (progress) progress(KeygenProgress{epoch, o.epochs, step, o.steps_per_epoch, g_sum / step, d_sum / step});
      }
      double entropy = 0, correlation = 0;
      {
        torch::NoGradGuard no_grad;
        g->eval();
        for (const torch::Tensor& h : held) {
          const auto [e, c] = key_statistics(g->forward(h));
          entropy += e;
          correlation += c;
        }
        g->train();
      }
      const double n = static_cast<double>(held.size()), steps = static_cast<double>(o.steps_per_epoch);
      const KeygenEpoch rec{epoch, g_sum / steps, d_sum / steps, entropy / n, correlation / n,
                            std::chrono::duration<double>(Clock::now() - epoch_start).count()};
      report.epochs.push_back(rec);
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (o.max_seconds > 0 && epoch < o.epochs && elapsed + rec.seconds > o.max_seconds) {
        report.stopped_by_time = true;
        break;
      }
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.last = generator_weights(g);
    report.last.training_json = record(o, report).dump();
    return report;
  });
}

}  // namespace medcrypt::nn
