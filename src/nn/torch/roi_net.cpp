// The ROI U-Net of nn/roi.hpp in torch: the network, inference, and its training loop (Adam on
// BCE + (1 - soft Dice), random affine and contrast augmentation, seeded; the best validation Dice wins).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <random>

#include <nlohmann/json.hpp>

#include "nn/torch/network.hpp"

namespace medcrypt::nn {
namespace {

using Clock = std::chrono::steady_clock;

torch::nn::Conv2d conv3x3(int in, int out) {
  // No bias: the GroupNorm after it has one.
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false));
}

class DoubleConvImpl : public torch::nn::Module {
 public:
  DoubleConvImpl(int in, int out)
      : conv1_(register_module("conv1", conv3x3(in, out))),
        norm1_(register_module("norm1", torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, out)))),
        conv2_(register_module("conv2", conv3x3(out, out))),
        norm2_(register_module("norm2", torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, out)))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(norm1_(conv1_(x)));
    return torch::relu(norm2_(conv2_(x)));
  }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::GroupNorm norm1_;
  torch::nn::Conv2d conv2_;
  torch::nn::GroupNorm norm2_;
};
TORCH_MODULE(DoubleConv);

class RoiUNetImpl : public torch::nn::Module {
 public:
  explicit RoiUNetImpl(int b)
      : down0_(register_module("down0", DoubleConv(1, b))),
        down1_(register_module("down1", DoubleConv(b, 2 * b))),
        down2_(register_module("down2", DoubleConv(2 * b, 4 * b))),
        down3_(register_module("down3", DoubleConv(4 * b, 8 * b))),
        bottom_(register_module("bottom", DoubleConv(8 * b, 8 * b))),
        up3_(register_module("up3", DoubleConv(16 * b, 4 * b))),
        up2_(register_module("up2", DoubleConv(8 * b, 2 * b))),
        up1_(register_module("up1", DoubleConv(4 * b, b))),
        up0_(register_module("up0", DoubleConv(2 * b, b))),
        head_(register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(b, 1, 1)))) {}

  torch::Tensor forward(const torch::Tensor& x) {  // logits
    const torch::Tensor d0 = down0_(x);
    const torch::Tensor d1 = down1_(torch::max_pool2d(d0, 2));
    const torch::Tensor d2 = down2_(torch::max_pool2d(d1, 2));
    const torch::Tensor d3 = down3_(torch::max_pool2d(d2, 2));
    torch::Tensor z = bottom_(torch::max_pool2d(d3, 2));
    // Nearest upsampling + convolution rather than ConvTranspose2d, which Debian's torch runs slowly.
    z = up3_(torch::cat({up(z), d3}, 1));
    z = up2_(torch::cat({up(z), d2}, 1));
    z = up1_(torch::cat({up(z), d1}, 1));
    z = up0_(torch::cat({up(z), d0}, 1));
    return head_(z);
  }

 private:
  static torch::Tensor up(const torch::Tensor& x) { return torch::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}); }
  DoubleConv down0_, down1_, down2_, down3_, bottom_, up3_, up2_, up1_, up0_;
  torch::nn::Conv2d head_;
};
TORCH_MODULE(RoiUNet);

std::vector<float> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

Weights params_of(RoiUNet& net) {
  Weights w = module_weights(*net);
  w.arch = std::string(kRoiArch);
  w.arch_version = kRoiArchVersion;
  return w;
}

class TorchRoiNetwork final : public RoiNetwork {
 public:
  explicit TorchRoiNetwork(RoiUNet net) : net_(std::move(net)) {
    net_->eval();
    for (auto& p : net_->parameters()) p.requires_grad_(false);
  }
  Status load(const Weights& w) override {
    return torch_call("ROI network weights", [&] { return load_module_weights(*net_, w, "the ROI network"); });
  }
  Weights weights() const override { return params_of(net_); }
  Result<std::vector<float>> predict(std::span<const float> inputs, int count, int side) override {
    return torch_call("ROI network", [&] {
      torch::InferenceMode guard;
      auto x = torch::from_blob(const_cast<float*>(inputs.data()), {count, 1, side, side}, torch::kFloat32);
      return to_vector(torch::sigmoid(net_->forward(x)));
    });
  }

 private:
  mutable RoiUNet net_;
};

torch::Tensor roi_loss(const torch::Tensor& logits, const torch::Tensor& target) {
  const torch::Tensor bce = torch::binary_cross_entropy_with_logits(logits, target);
  const torch::Tensor p = torch::sigmoid(logits);
  const torch::Tensor dice = (2 * (p * target).sum({1, 2, 3}) + 1) / (p.sum({1, 2, 3}) + target.sum({1, 2, 3}) + 1);
  return bce + (1 - dice).mean();
}

// Per-image Dice of (p > 0.5) against (target > 0.5), summed; both empty counts 1.
double hard_dice_sum(const torch::Tensor& probabilities, const torch::Tensor& target) {
  const torch::Tensor p = (probabilities > 0.5).to(torch::kFloat32), t = (target > 0.5).to(torch::kFloat32);
  const torch::Tensor inter = (p * t).sum({1, 2, 3}), total = p.sum({1, 2, 3}) + t.sum({1, 2, 3});
  return torch::where(total > 0, 2 * inter / total.clamp_min(1), torch::ones_like(total)).sum().item<double>();
}

nlohmann::json record(const RoiTrainOptions& o, const RoiTrainReport& r) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const RoiEpoch& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"validation_loss", e.validation_loss},
                      {"validation_dice", e.validation_dice}, {"seconds", e.seconds}});
  }
  nlohmann::json split = nlohmann::json::parse(o.split_json, nullptr, false);
  if (split.is_discarded()) split = nlohmann::json::object();
  return {{"command", o.command}, {"seed", o.seed}, {"batch", o.batch}, {"learning_rate", o.learning_rate},
          {"schedule", "Adam, cosine decay to 5% over the planned epochs"}, {"planned_epochs", o.epochs},
          {"augment", o.augment}, {"threads", o.threads}, {"loss", "BCE + (1 - soft Dice), per image"},
          {"train_samples", r.train_samples}, {"validation_samples", r.validation_samples}, {"split", split},
          {"best_epoch", r.best_epoch}, {"best_validation_dice", r.best_validation_dice},
          {"stopped_by_time", r.stopped_by_time}, {"seconds", r.seconds}, {"epochs", epochs}};
}

}  // namespace

Result<std::unique_ptr<RoiNetwork>> make_roi_network(const RoiConfig& config, std::uint64_t seed) {
  return torch_call("ROI network", [&]() -> std::unique_ptr<RoiNetwork> {
    torch::manual_seed(seed);
    return std::make_unique<TorchRoiNetwork>(RoiUNet(config.base_channels));
  });
}

Result<RoiTrainReport> train_roi_net(const std::vector<RoiSample>& samples, const RoiTrainOptions& o,
                                     const RoiProgressFn& progress) {
  const int side = o.config.side;
  const std::size_t values = std::size_t(side) * side;
  if (o.epochs <= 0 || o.batch <= 0 || o.learning_rate <= 0) {
    return make_error(ErrorCode::kUsage, "train roi: epochs, batch and learning rate must be positive");
  }
  for (const RoiSample& s : samples) {
    if (s.image.size() != values || s.mask.size() != values) return make_error(ErrorCode::kInternal, "train roi: a sample is not side x side");
  }
  std::vector<std::size_t> order(samples.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(o.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const auto n_val = static_cast<std::size_t>(std::lround(o.validation_fraction * samples.size()));
  const std::vector<std::size_t> val(order.begin(), order.begin() + n_val);
  std::vector<std::size_t> train(order.begin() + n_val, order.end());
  if (train.empty() || val.empty()) return make_error(ErrorCode::kUsage, "train roi: too few images for a validation split");

  return torch_call("train roi", [&]() -> Result<RoiTrainReport> {
    if (o.threads > 0) torch::set_num_threads(o.threads);
    const auto stack = [&](const std::vector<std::size_t>& which, bool mask) {
      torch::Tensor t = torch::empty({static_cast<long>(which.size()), 1, side, side});
      for (std::size_t i = 0; i < which.size(); ++i) {
        const auto& v = mask ? samples[which[i]].mask : samples[which[i]].image;
        std::copy(v.begin(), v.end(), t.data_ptr<float>() + i * values);
      }
      return t;
    };
    const torch::Tensor train_x = stack(train, false), train_y = stack(train, true);
    const torch::Tensor val_x = stack(val, false), val_y = stack(val, true);

    torch::manual_seed(o.seed);
    RoiUNet net(o.config.base_channels);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(o.learning_rate));
    const std::size_t steps = o.steps_per_epoch ? o.steps_per_epoch : (train.size() + o.batch - 1) / o.batch;
    std::vector<long> cursor_order(train.size());
    for (std::size_t i = 0; i < cursor_order.size(); ++i) cursor_order[i] = static_cast<long>(i);
    std::size_t cursor = cursor_order.size();

    RoiTrainReport report;
    report.train_samples = train.size();
    report.validation_samples = val.size();
    report.best_validation_dice = -1;
    const auto start = Clock::now();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      const double lr = o.learning_rate * (0.05 + 0.95 * 0.5 * (1 + std::cos(std::numbers::pi * (epoch - 1) / o.epochs)));
      for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      net->train();
      double loss_sum = 0;
      for (std::size_t step = 1; step <= steps; ++step) {
        std::vector<long> pick;
        while (pick.size() < static_cast<std::size_t>(o.batch) && pick.size() < train.size()) {
          if (cursor == cursor_order.size()) {
            std::shuffle(cursor_order.begin(), cursor_order.end(), rng);
            cursor = 0;
          }
          pick.push_back(cursor_order[cursor++]);
        }
        const torch::Tensor index = torch::tensor(pick, torch::kLong);
        torch::Tensor x = train_x.index_select(0, index), y = train_y.index_select(0, index);
        if (o.augment) std::tie(x, y) = augment_affine(x, y, rng, true);
        adam.zero_grad();
        torch::Tensor loss = roi_loss(net->forward(x), y);
        loss.backward();
        adam.step();
        loss_sum += loss.item<double>();
        if (progress) progress(RoiProgress{epoch, o.epochs, step, steps, loss_sum / step});
      }
      net->eval();
      double val_loss = 0, val_dice = 0;
      {
        torch::NoGradGuard no_grad;
        for (long first = 0; first < val_x.size(0); first += o.batch) {
          const long count = std::min<long>(o.batch, val_x.size(0) - first);
          const torch::Tensor logits = net->forward(val_x.narrow(0, first, count));
          const torch::Tensor target = val_y.narrow(0, first, count);
          val_loss += roi_loss(logits, target).item<double>() * count;
          val_dice += hard_dice_sum(torch::sigmoid(logits), target);
        }
      }
      const double n = static_cast<double>(val_x.size(0));
      const RoiEpoch rec{epoch, loss_sum / steps, val_loss / n, val_dice / n,
                         std::chrono::duration<double>(Clock::now() - epoch_start).count()};
      report.epochs.push_back(rec);
      if (rec.validation_dice > report.best_validation_dice) {
        report.best_validation_dice = rec.validation_dice;
        report.best_epoch = epoch;
        report.best = params_of(net);
      }
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (o.max_seconds > 0 && epoch < o.epochs && elapsed + rec.seconds > o.max_seconds) {
        report.stopped_by_time = true;
        break;
      }
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.best.training_json = record(o, report).dump();
    return report;
  });
}

}  // namespace medcrypt::nn
