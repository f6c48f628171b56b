// The training loop (nn/training.hpp) in torch.
#include "nn/training.hpp"

#include <chrono>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "nn/torch/adamax.hpp"
#include "nn/torch/network.hpp"

namespace medcrypt::nn {
namespace {

using Clock = std::chrono::steady_clock;

struct Sampler {
  const std::vector<image::Image>* images;
  std::vector<std::size_t> train;  // indices into images
  std::uint32_t patch;
  int channels;
  bool flips;
  std::mt19937_64 rng;

  // A random patch of a random training image, flipped left-right half the time (if `flips`).
  void fill(float* dst) {
    const image::Image& img = (*images)[train[rng() % train.size()]];
    const image::Geometry& g = img.geometry();
    const std::uint32_t x0 = static_cast<std::uint32_t>(rng() % (g.width - patch + 1));
    const std::uint32_t y0 = static_cast<std::uint32_t>(rng() % (g.height - patch + 1));
    const bool flip = (rng() & 1) && flips;
    const float scale = 1.0f / static_cast<float>(g.max_value());
    for (int c = 0; c < channels; ++c) {
      for (std::uint32_t y = 0; y < patch; ++y) {
        for (std::uint32_t x = 0; x < patch; ++x) {
          const std::uint32_t sx = x0 + (flip ? patch - 1 - x : x);
          dst[(std::size_t(c) * patch + y) * patch + x] =
              img.word((std::size_t{y0 + y} * g.width + sx) * g.samples + c) * scale;
        }
      }
    }
  }
};

// The centre patch of each validation image: a fixed set, so epochs compare fairly.
torch::Tensor centre_patches(const std::vector<image::Image>& images, const std::vector<std::size_t>& which,
                             std::uint32_t patch, int channels) {
  torch::Tensor out = torch::empty({static_cast<long>(which.size()), channels, patch, patch});
  float* dst = out.data_ptr<float>();
  for (std::size_t i = 0; i < which.size(); ++i) {
    const image::Image& img = images[which[i]];
    const image::Geometry& g = img.geometry();
    const std::uint32_t x0 = (g.width - patch) / 2, y0 = (g.height - patch) / 2;
    const float scale = 1.0f / static_cast<float>(g.max_value());
    for (int c = 0; c < channels; ++c) {
      for (std::uint32_t y = 0; y < patch; ++y) {
        for (std::uint32_t x = 0; x < patch; ++x) {
          dst[((i * channels + c) * patch + y) * patch + x] =
              img.word((std::size_t{y0 + y} * g.width + x0 + x) * g.samples + c) * scale;
        }
      }
    }
  }
  return out;
}

// Mean SSIM of each channel over the valid region: Gaussian window (sigma 1.5, radius 5), data range 1,
// population (co)variances: the definition metrics/ssim.hpp measures.
torch::Tensor mean_ssim(const torch::Tensor& a, const torch::Tensor& b) {
  static const torch::Tensor window = [] {
    torch::Tensor g = torch::exp(-torch::pow(torch::arange(-5, 6, torch::kFloat32), 2) / (2 * 1.5 * 1.5));
    g = g / g.sum();
    return torch::outer(g, g).reshape({1, 1, 11, 11});
  }();
  const long c = a.size(1);
  const torch::Tensor w = window.expand({c, 1, 11, 11});
  auto blur = [&](const torch::Tensor& x) { return torch::conv2d(x, w, torch::Tensor(), {1, 1}, torch::IntArrayRef{0, 0}, {1, 1}, c); };
  const torch::Tensor ma = blur(a);
  const torch::Tensor mb = blur(b);
  const torch::Tensor va = blur(a * a) - ma * ma;
  const torch::Tensor vb = blur(b * b) - mb * mb;
  const torch::Tensor cov = blur(a * b) - ma * mb;
  constexpr double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  return ((2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2))).mean();
}

torch::Tensor loss_of(const torch::Tensor& out, const torch::Tensor& x, double ssim_weight) {
  torch::Tensor loss = torch::mse_loss(out, x);
  if (ssim_weight > 0) loss = loss + ssim_weight * (1 - mean_ssim(out, x));
  return loss;
}

double validation_loss(AutoencoderNet& net, const torch::Tensor& patches, int batch, double ssim_weight) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  long batches = 0;
  for (long first = 0; first < patches.size(0); first += batch, ++batches) {
    torch::Tensor x = patches.slice(0, first, std::min<long>(first + batch, patches.size(0)));
    sum += loss_of(net->forward(x), x, ssim_weight).item<double>();
  }
  return sum / static_cast<double>(batches);
}

nlohmann::json record(const TrainOptions& o, const TrainReport& r, int epoch) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochRecord& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"validation_loss", e.validation_loss},
                      {"seconds", e.seconds}});
  }
  return {{"command", o.command}, {"epoch", epoch}, {"seed", o.seed}, {"batch", o.batch}, {"patch", o.patch},
          {"learning_rate", o.learning_rate}, {"optimizer", o.optimizer}, {"halve_on_plateau", o.halve_on_plateau},
          {"flip", o.flip},
          {"train_images", r.train_images},
          {"validation_images", r.validation_images}, {"ssim_weight", o.ssim_weight},
          {"loss", "MSE + ssim_weight * (1 - SSIM), on [0,1]"}, {"epochs", epochs}};
}

}  // namespace

Result<TrainReport> train_net(const std::vector<image::Image>& images, const TrainOptions& o, const Weights* initial,
                              const ProgressFn& progress, const CheckpointFn& checkpoint) {
  if (o.optimizer != "adam" && o.optimizer != "adamax") {
    return make_error(ErrorCode::kUsage, "train: the optimizer is adam or adamax");
  }
  if (o.epochs <= 0 || o.batch <= 0 || o.patch < 8 || o.patch % 2 != 0 || o.learning_rate <= 0) {
    return make_error(ErrorCode::kUsage, "train: epochs and batch must be positive, the patch an even side >= 8");
  }
  for (const image::Image& img : images) {
    const image::Geometry& g = img.geometry();
    if (g.samples != o.channels || g.frames != 1 || g.is_signed) {
      return make_error(ErrorCode::kInternal, "train: images must be single unsigned frames of the model's channels");
    }
    if (g.width < o.patch || g.height < o.patch) {
      return make_error(ErrorCode::kUsage, "train: an image is smaller than the patch (" + std::to_string(o.patch) + ")");
    }
  }
  // Validation images: a seeded share of the training images.
  std::vector<std::size_t> order(images.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 split_rng(o.seed ^ 0x5eed);
  std::shuffle(order.begin(), order.end(), split_rng);
  const auto n_val = std::min<std::size_t>(256, static_cast<std::size_t>(std::lround(o.validation_fraction * images.size())));
  std::vector<std::size_t> val(order.begin(), order.begin() + n_val), train(order.begin() + n_val, order.end());
  if (train.empty() || val.empty()) return make_error(ErrorCode::kUsage, "train: too few images for a validation split");

  return torch_call("train", [&]() -> Result<TrainReport> {
    if (o.threads > 0) torch::set_num_threads(o.threads);
    MEDCRYPT_ASSIGN_OR_RETURN(AutoencoderNet net, make_net(o.channels, o.variant, o.seed));
    if (initial != nullptr) MEDCRYPT_TRY(load_weights(net, *initial));
    torch::manual_seed(o.seed);
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (o.optimizer == "adamax") {
      optimizer = std::make_unique<Adamax>(net->parameters(), AdamaxOptions(o.learning_rate));
    } else {
      optimizer = std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(o.learning_rate));
    }
    Sampler sampler{&images, train, o.patch, o.channels, o.flip, std::mt19937_64(o.seed)};
    const torch::Tensor val_patches = centre_patches(images, val, o.patch, o.channels);
    const std::size_t steps = o.steps_per_epoch ? o.steps_per_epoch : (train.size() + o.batch - 1) / o.batch;

    TrainReport report;
    report.train_images = train.size();
    report.validation_images = val.size();
    report.best_validation_loss = INFINITY;
    const auto start = Clock::now();
    int since_best = 0;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      net->train();
      double loss_sum = 0;
      for (std::size_t step = 1; step <= steps; ++step) {
        torch::Tensor x = torch::empty({o.batch, o.channels, o.patch, o.patch});
        for (int b = 0; b < o.batch; ++b) sampler.fill(x.data_ptr<float>() + std::size_t(b) * x[0].numel());
        optimizer->zero_grad();
        torch::Tensor loss = loss_of(net->forward(x), x, o.ssim_weight);
        loss.backward();
        optimizer->step();
        loss_sum += loss.item<double>();
        if (progress) {
          const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
          const double done = (epoch - 1) + double(step) / steps;
          progress(Progress{epoch, o.epochs, step, steps, loss_sum / step, elapsed, elapsed / done * (o.epochs - done)});
        }
      }
      net->eval();
      EpochRecord rec{epoch, loss_sum / steps, validation_loss(net, val_patches, o.batch, o.ssim_weight),
                      std::chrono::duration<double>(Clock::now() - epoch_start).count()};
      report.epochs.push_back(rec);
      const bool better = rec.validation_loss < report.best_validation_loss;
      if (better) {
        report.best_validation_loss = rec.validation_loss;
        report.best_epoch = epoch;
        since_best = 0;
      } else {
        ++since_best;
        for (auto& group : optimizer->param_groups()) {
          if (o.halve_on_plateau) group.options().set_lr(group.options().get_lr() / 2);
        }
      }
      if (better) report.best = net_weights(net);
      if (checkpoint) {
        Weights current = net_weights(net);
        current.training_json = record(o, report, epoch).dump();
        MEDCRYPT_TRY(checkpoint(current));
      }
      if (o.patience > 0 && since_best >= o.patience) {
        report.stopped_early = true;
        break;
      }
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.best.training_json = record(o, report, report.best_epoch).dump();  // the full history
    return report;
  });
}

}  // namespace medcrypt::nn
