// The classifier of nn/classifier.hpp in torch: the ResNet-style CNN and the logistic baseline, inference,
// and the training loop (Adam with weight decay on class-weighted cross-entropy, cosine decay, seeded
// augmentation; the epoch with the lowest validation loss wins).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "nn/torch/network.hpp"

namespace medcrypt::nn {
namespace {

using Clock = std::chrono::steady_clock;

torch::nn::Conv2d conv(int in, int out, int kernel, int stride) {
  // No bias: the GroupNorm after it has one.
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}
torch::nn::GroupNorm norm(int channels) { return torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels)); }

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int in, int out, int stride)
      : conv1_(register_module("conv1", conv(in, out, 3, stride))),
        norm1_(register_module("norm1", norm(out))),
        conv2_(register_module("conv2", conv(out, out, 3, 1))),
        norm2_(register_module("norm2", norm(out))) {
    if (in != out || stride != 1) {
      shortcut_ = register_module("shortcut", conv(in, out, 1, stride));
      shortcut_norm_ = register_module("shortcut_norm", norm(out));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(norm1_(conv1_(x)));
    y = norm2_(conv2_(y));
    return torch::relu(y + (shortcut_ ? shortcut_norm_(shortcut_(x)) : x));
  }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::GroupNorm norm1_;
  torch::nn::Conv2d conv2_;
  torch::nn::GroupNorm norm2_;
  torch::nn::Conv2d shortcut_{nullptr};
  torch::nn::GroupNorm shortcut_norm_{nullptr};
};
TORCH_MODULE(BasicBlock);

class ClassifierNetImpl : public torch::nn::Module {
 public:
  explicit ClassifierNetImpl(const ClassifierConfig& c) : logistic_(c.arch == "logistic") {
    const int k = static_cast<int>(c.classes.size()), b = c.base_channels;
    if (logistic_) {
      head_ = register_module("head", torch::nn::Linear(c.channels * c.side * c.side, k));
      return;
    }
    stem_ = register_module("stem", conv(c.channels, b, 3, 1));
    stem_norm_ = register_module("stem_norm", norm(b));
    stages_ = register_module("stages", torch::nn::Sequential(BasicBlock(b, b, 1), BasicBlock(b, 2 * b, 2),
                                                              BasicBlock(2 * b, 4 * b, 2), BasicBlock(4 * b, 8 * b, 2)));
    head_ = register_module("head", torch::nn::Linear(8 * b, k));
  }
  torch::Tensor forward(const torch::Tensor& x) {  // logits
    return head_(logistic_ ? features(x) : torch::dropout(features(x), 0.2, is_training()));
  }
  torch::Tensor features(const torch::Tensor& x) {  // what the head takes
    if (logistic_) return x.flatten(1);
    return stages_->forward(torch::relu(stem_norm_(stem_(x)))).mean({2, 3});
  }

 private:
  bool logistic_;
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::GroupNorm stem_norm_{nullptr};
  torch::nn::Sequential stages_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(ClassifierNet);

Weights params_of(ClassifierNet& net) {
  Weights w = module_weights(*net);
  w.arch = std::string(kClassifierArch);
  w.arch_version = kClassifierArchVersion;
  return w;
}

class TorchClassifierNetwork final : public ClassifierNetwork {
 public:
  TorchClassifierNetwork(ClassifierNet net, const ClassifierConfig& config) : net_(std::move(net)), config_(config) {
    net_->eval();
    for (auto& p : net_->parameters()) p.requires_grad_(false);
  }
  Status load(const Weights& w) override {
    return torch_call("classifier weights", [&] { return load_module_weights(*net_, w, "the classifier"); });
  }
  Weights weights() const override { return params_of(net_); }
  Result<std::vector<float>> predict(std::span<const float> inputs, int count) override {
    return torch_call("classifier", [&] {
      torch::InferenceMode guard;
      auto x = torch::from_blob(const_cast<float*>(inputs.data()), {count, config_.channels, config_.side, config_.side},
                                torch::kFloat32);
      torch::Tensor p = torch::softmax(net_->forward(x), 1).contiguous();
      return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    });
  }
  Result<std::vector<float>> features(std::span<const float> inputs, int count) override {
    return torch_call("classifier", [&] {
      torch::InferenceMode guard;
      auto x = torch::from_blob(const_cast<float*>(inputs.data()), {count, config_.channels, config_.side, config_.side},
                                torch::kFloat32);
      torch::Tensor f = net_->features(x).contiguous();
      return std::vector<float>(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    });
  }

 private:
  mutable ClassifierNet net_;
  ClassifierConfig config_;
};

nlohmann::json record(const ClassifierTrainOptions& o, const ClassifierTrainReport& r, const std::vector<double>& class_weight) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const ClassifierEpoch& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"validation_loss", e.validation_loss},
                      {"validation_accuracy", e.validation_accuracy}, {"seconds", e.seconds}});
  }
  nlohmann::json split = nlohmann::json::parse(o.split_json, nullptr, false);
  if (split.is_discarded()) split = nlohmann::json::object();
  return {{"command", o.command}, {"seed", o.seed}, {"batch", o.batch}, {"learning_rate", o.learning_rate},
          {"weight_decay", o.weight_decay}, {"schedule", "Adam, cosine decay to 5% over the planned epochs"},
          {"planned_epochs", o.epochs}, {"augment", o.augment}, {"flip", o.flip}, {"threads", o.threads},
          {"loss", o.balance ? "cross-entropy weighted by inverse class frequency" : "cross-entropy"},
          {"class_weight", class_weight}, {"train_samples", r.train_samples}, {"validation_samples", r.validation_samples},
          {"split", split}, {"best_epoch", r.best_epoch}, {"best_validation_loss", r.best_validation_loss},
          {"best_validation_accuracy", r.best_validation_accuracy}, {"stopped_by_time", r.stopped_by_time},
          {"seconds", r.seconds}, {"epochs", epochs}};
}

}  // namespace

Result<std::unique_ptr<ClassifierNetwork>> make_classifier_network(const ClassifierConfig& config, std::uint64_t seed) {
  return torch_call("classifier", [&]() -> std::unique_ptr<ClassifierNetwork> {
    torch::manual_seed(seed);
    return std::make_unique<TorchClassifierNetwork>(ClassifierNet(config), config);
  });
}

Result<ClassifierTrainReport> train_classifier_net(const std::vector<ClassifierSample>& samples,
                                                   const ClassifierTrainOptions& o,
                                                   const ClassifierProgressFn& progress) {
  const ClassifierConfig& c = o.config;
  const int classes = static_cast<int>(c.classes.size());
  const std::size_t values = std::size_t(c.channels) * c.side * c.side;
  if (o.epochs <= 0 || o.batch <= 0 || !(o.learning_rate > 0) || o.weight_decay < 0 ||
      !(o.validation_fraction > 0 && o.validation_fraction < 1)) {
    return make_error(ErrorCode::kUsage, "train classifier: epochs, batch and learning rate must be positive, the "
                                         "validation fraction in (0, 1)");
  }
  for (const ClassifierSample& s : samples) {
    if (s.input.size() != values || s.label < 0 || s.label >= classes) {
      return make_error(ErrorCode::kInternal, "train classifier: a sample of the wrong size or label");
    }
  }
  // A stratified, seeded validation share: each class gives its share.
  std::mt19937_64 rng(o.seed);
  std::map<int, std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < samples.size(); ++i) by_class[samples[i].label].push_back(i);
  std::vector<std::size_t> train, val;
  std::vector<double> count(classes, 0);
  for (auto& [label, members] : by_class) {
    std::shuffle(members.begin(), members.end(), rng);
    const auto n_val = static_cast<std::size_t>(std::lround(o.validation_fraction * double(members.size())));
    val.insert(val.end(), members.begin(), members.begin() + n_val);
    train.insert(train.end(), members.begin() + n_val, members.end());
    count[label] = double(members.size() - n_val);
  }
  if (train.empty() || val.empty()) return make_error(ErrorCode::kUsage, "train classifier: too few images for a validation split");
  std::vector<double> class_weight(classes, 1.0);
  if (o.balance) {
    for (int k = 0; k < classes; ++k) class_weight[k] = count[k] > 0 ? double(train.size()) / (classes * count[k]) : 0.0;
  }

  return torch_call("train classifier", [&]() -> Result<ClassifierTrainReport> {
    ThreadScope scope(o.threads);
    const auto stack = [&](const std::vector<std::size_t>& which) {
      torch::Tensor x = torch::empty({long(which.size()), c.channels, c.side, c.side});
      torch::Tensor y = torch::empty({long(which.size())}, torch::kLong);
      for (std::size_t i = 0; i < which.size(); ++i) {
        std::copy(samples[which[i]].input.begin(), samples[which[i]].input.end(), x.data_ptr<float>() + i * values);
        y[long(i)] = samples[which[i]].label;
      }
      return std::make_pair(x, y);
    };
    const auto [train_x, train_y] = stack(train);
    const auto [val_x, val_y] = stack(val);
    const torch::Tensor weight = torch::tensor(std::vector<float>(class_weight.begin(), class_weight.end()));
    const auto loss_of = [&](const torch::Tensor& logits, const torch::Tensor& y) {
      return torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().weight(weight));
    };

    torch::manual_seed(o.seed);
    ClassifierNet net(c);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
    const std::size_t steps = (train.size() + o.batch - 1) / o.batch;
    std::vector<long> order(train.size());
    std::iota(order.begin(), order.end(), 0);

    ClassifierTrainReport report;
    report.train_samples = train.size();
    report.validation_samples = val.size();
    report.best_validation_loss = std::numeric_limits<double>::infinity();
    const auto start = Clock::now();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      const double lr = o.learning_rate * (0.05 + 0.95 * 0.5 * (1 + std::cos(std::numbers::pi * (epoch - 1) / o.epochs)));
      for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      net->train();
      std::shuffle(order.begin(), order.end(), rng);
      double loss_sum = 0;
      for (std::size_t step = 0; step < steps; ++step) {
        const std::size_t first = step * o.batch, last = std::min(order.size(), first + o.batch);
        const torch::Tensor index = torch::tensor(std::vector<long>(order.begin() + first, order.begin() + last), torch::kLong);
        torch::Tensor x = train_x.index_select(0, index);
        if (o.augment) x = augment_affine(x, torch::Tensor(), rng, o.flip).first;
        adam.zero_grad();
        torch::Tensor loss = loss_of(net->forward(x), train_y.index_select(0, index));
        loss.backward();
        adam.step();
        loss_sum += loss.item<double>();
        if (progress) progress(ClassifierProgress{epoch, o.epochs, step + 1, steps, loss_sum / double(step + 1)});
      }
      net->eval();
      double val_loss = 0, correct = 0;
      {
        torch::NoGradGuard no_grad;
        for (long first = 0; first < val_x.size(0); first += 128) {
          const long n = std::min<long>(128, val_x.size(0) - first);
          const torch::Tensor logits = net->forward(val_x.narrow(0, first, n));
          const torch::Tensor y = val_y.narrow(0, first, n);
          val_loss += loss_of(logits, y).item<double>() * double(n);
          correct += logits.argmax(1).eq(y).sum().item<double>();
        }
      }
      const double n = double(val_x.size(0));
      const ClassifierEpoch rec{epoch, loss_sum / double(steps), val_loss / n, correct / n,
                                std::chrono::duration<double>(Clock::now() - epoch_start).count()};
      report.epochs.push_back(rec);
      if (rec.validation_loss < report.best_validation_loss) {
        report.best_validation_loss = rec.validation_loss;
        report.best_validation_accuracy = rec.validation_accuracy;
        report.best_epoch = epoch;
        report.best = params_of(net);
      }
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (o.max_seconds > 0 && epoch < o.epochs && elapsed + rec.seconds > o.max_seconds) {
        report.stopped_by_time = true;
        break;
      }
    }
    if (report.best_epoch == 0) {
      return make_error(ErrorCode::kInternal, "train classifier: the validation loss was never finite (training diverged); "
                                              "try a lower learning rate");
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.best.training_json = record(o, report, class_weight).dump();
    return report;
  });
}

}  // namespace medcrypt::nn
