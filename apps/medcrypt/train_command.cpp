// medcrypt train autoencoder --data DIR --epochs N --out FILE: trains the ae-aes autoencoder on images
// (folders, .npz archives), seeded; prints a progress bar and one line per epoch; writes the best epoch's
// weights (with a SHA-256 and the training record) to FILE.
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "nn/dataset.hpp"
#include "nn/training.hpp"

namespace medcrypt::cli {
namespace {

struct TrainArgs {
  std::vector<std::string> data;
  std::string out;
  std::string checkpoint;
  std::string resume;
  int channels = 3;
  double test_fraction = 0.1;
  std::size_t limit = 0;
  nn::TrainOptions options;
};

std::string command_line(int argc, char** argv) {
  std::string line = "medcrypt";
  for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
  return line;
}

Status run(TrainArgs& args) {
  nn::DatasetOptions data;
  for (const auto& d : args.data) data.sources.emplace_back(d);
  data.channels = args.channels;
  data.min_side = args.options.patch;
  data.test_fraction = args.test_fraction;
  data.seed = args.options.seed;
  data.limit = args.limit;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Dataset dataset, nn::load_dataset(data));
  fmt::print("data: {} training images, {} held out for testing (seed {}, test fraction {})\n", dataset.train.size(),
             dataset.test.size(), data.seed, data.test_fraction);
  for (const auto& note : dataset.notes) fmt::print("  {}\n", note);

  nn::TrainOptions& o = args.options;
  o.channels = args.channels;
  o.checkpoint = args.checkpoint.empty() ? args.out + ".checkpoint" : args.checkpoint;
  o.resume = args.resume;
  std::unique_ptr<ProgressBar> bar;
  int bar_epoch = 0;
  auto progress = [&](const nn::Progress& p) {
    if (p.epoch != bar_epoch) {
      bar = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", p.epoch, p.epochs), p.steps);
      bar_epoch = p.epoch;
    }
    bar->update(p.step, fmt::format("loss {:.5f}, all epochs ETA {:.0f}s", p.loss, p.eta_s));
    if (p.step == p.steps) bar->finish();
  };
  MEDCRYPT_ASSIGN_OR_RETURN(nn::TrainReport report, nn::train_autoencoder(dataset.train, o, progress));
  for (const auto& e : report.epochs) {
    fmt::print("epoch {:>3}: train loss {:.6f}, validation loss {:.6f}, {:.1f} s\n", e.epoch, e.train_loss,
               e.validation_loss, e.seconds);
  }
  MEDCRYPT_TRY(nn::write_weights_file(args.out, report.best));
  fmt::print("best epoch {} (validation loss {:.6f}){}; {:.1f} s in all\n", report.best_epoch,
             report.best_validation_loss, report.stopped_early ? ", stopped early" : "", report.seconds);
  fmt::print("wrote {} (SHA-256 {})\n", args.out, report.best.digest_hex);
  return {};
}

}  // namespace

void add_train_command(CLI::App& app, Outcome& outcome, int argc, char** argv) {
  auto args = std::make_shared<TrainArgs>();
  args->options.command = command_line(argc, argv);
  CLI::App* train = app.add_subcommand("train", "Train medcrypt's neural networks");
  train->require_subcommand(1);
  CLI::App* cmd = train->add_subcommand("autoencoder", "Train the ae-aes autoencoder (paper 002)");
  cmd->add_option("--data", args->data, "Image folder or .npz archive (repeatable)")->required();
  cmd->add_option("--epochs", args->options.epochs, "Epochs")->required();
  cmd->add_option("--out", args->out, "Weights file to write")->required();
  cmd->add_option("--channels", args->channels, "1 (grey model) or 3 (RGB model)")->capture_default_str()->check(CLI::IsMember({1, 3}));
  cmd->add_option("--batch", args->options.batch, "Patches per step")->capture_default_str();
  cmd->add_option("--patch", args->options.patch, "Side of the square training patches")->capture_default_str();
  cmd->add_option("--steps", args->options.steps_per_epoch, "Steps per epoch (0: one patch per image)")->capture_default_str();
  cmd->add_option("--lr", args->options.learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--ssim-weight", args->options.ssim_weight, "Weight of 1 - SSIM in the loss (0: MSE only)")->capture_default_str();
  cmd->add_option("--patience", args->options.patience, "Stop after this many epochs in a row without improvement (0: never); each halves the rate")->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the split, initialisation and sampling")->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Threads (1: bit-for-bit repeatable; 0: all cores)")->capture_default_str();
  cmd->add_option("--test-fraction", args->test_fraction, "Share of images held out for testing")->capture_default_str();
  cmd->add_option("--limit", args->limit, "Use at most this many images (0: all)")->capture_default_str();
  cmd->add_option("--checkpoint", args->checkpoint, "Checkpoint written after each epoch (default OUT.checkpoint)");
  cmd->add_option("--resume", args->resume, "Start from these weights");
  cmd->callback([args, &outcome] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
