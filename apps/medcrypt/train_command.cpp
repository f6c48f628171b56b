// medcrypt train autoencoder --data DIR --epochs N --out FILE: trains the ae-aes autoencoder on images
// (folders, .npz archives), seeded; prints a progress bar and one line per epoch; writes the best epoch's
// weights (with a SHA-256 and the training record) to FILE.
// medcrypt train roi --data DIR --kind KIND --epochs N --out FILE: trains paper 000's ROI network on a
// labelled set (images/ + masks/), holding out its patient-disjoint test split (nn/roi_data.hpp).
// medcrypt train classifier --data DIR --set NAME --epochs N --out FILE: trains the diagnostic classifier
// (nn/classifier.hpp) on a labelled set, holding out its patient-disjoint test split (nn/classifier_data.hpp).
// medcrypt train keygen --data DIR --epochs N --out FILE: trains paper 001's ZZ-GAN key generator on grey
// images (nn/keygen.hpp), measuring its keys on a held-out share after each epoch.
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/classifier_data.hpp"
#include "nn/dataset.hpp"
#include "nn/keygen.hpp"
#include "nn/roi_data.hpp"
#include "nn/training.hpp"

namespace medcrypt::cli {
namespace {

struct TrainArgs {
  std::vector<std::string> data;
  std::string out;
  std::string checkpoint;
  std::string resume;
  int channels = 3;
  std::string arch = "tuned";
  std::uint32_t side = 0;
  double test_fraction = 0.1;
  std::size_t limit = 0;
  std::vector<std::string> replay;
  double replay_test_fraction = 0.1;
  std::size_t replay_limit = 0;
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
  data.side = args.side;
  data.test_fraction = args.test_fraction;
  data.seed = args.options.seed;
  data.limit = args.limit;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Dataset dataset, nn::load_dataset(data));
  fmt::print("data: {} training images, {} held out for testing (seed {}, test fraction {})\n", dataset.train.size(),
             dataset.test.size(), data.seed, data.test_fraction);
  for (const auto& note : dataset.notes) fmt::print("  {}\n", note);
  if (!args.replay.empty()) {
    // Fine-tuning on new images forgets the old ones; training on the old set's training split as well keeps
    // them, and its test split (the split its own training held out) stays unseen.
    nn::DatasetOptions old = data;
    old.sources.assign(args.replay.begin(), args.replay.end());
    old.test_fraction = args.replay_test_fraction;
    old.limit = 0;
    MEDCRYPT_ASSIGN_OR_RETURN(nn::Dataset replayed, nn::load_dataset(old));
    if (args.replay_limit != 0 && replayed.train.size() > args.replay_limit) replayed.train.resize(args.replay_limit);
    fmt::print("replay: {} training images of the replayed set, whose {} test images stay held out (test fraction {})\n",
               replayed.train.size(), replayed.test.size(), old.test_fraction);
    for (auto& img : replayed.train) dataset.train.push_back(std::move(img));
  }

  nn::TrainOptions& o = args.options;
  o.channels = args.channels;
  o.variant = args.arch == "paper"     ? nn::AeVariant::kPaper
              : args.arch == "paper32" ? nn::AeVariant::kPaperFeatures
                                       : nn::AeVariant::kTuned;
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

struct TrainRoiArgs {
  std::vector<std::filesystem::path> folders;
  nn::RoiSetOptions set;
  std::string out;
  double max_minutes = 0;
  nn::RoiTrainOptions options;
};

Status run_roi(TrainRoiArgs& args) {
  nn::RoiTrainOptions& o = args.options;
  args.set.seed = o.seed;
  MEDCRYPT_TRY(nn::check_roi_config(o.config));
  std::vector<nn::RoiSample> samples;
  for (const auto& folder : args.folders) {  // several sets: one network for all (the kinds joined by '+')
    args.set.folder = folder;
    MEDCRYPT_ASSIGN_OR_RETURN(nn::RoiSet set, nn::load_roi_set(args.set));
    fmt::print("data {}: {} training images, {} held out for testing ({})\n", folder.string(), set.train.size(),
               set.test.size(), set.split);
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<nn::RoiSample> part, nn::roi_samples(set.train, o.config.side));
    samples.insert(samples.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  o.split_json = nn::roi_split_json(args.set);
  o.max_seconds = args.max_minutes * 60;
  std::unique_ptr<ProgressBar> bar;
  int bar_epoch = 0;
  auto progress = [&](const nn::RoiProgress& p) {
    if (p.epoch != bar_epoch) {
      bar = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", p.epoch, p.epochs), p.steps);
      bar_epoch = p.epoch;
    }
    bar->update(p.step, fmt::format("loss {:.4f}", p.loss));
    if (p.step == p.steps) bar->finish();
  };
  MEDCRYPT_ASSIGN_OR_RETURN(nn::RoiTrainReport report, nn::train_roi(samples, o, progress));
  for (const auto& e : report.epochs) {
    fmt::print("epoch {:>3}: train loss {:.4f}, validation loss {:.4f}, validation Dice {:.4f}, {:.1f} s\n", e.epoch,
               e.train_loss, e.validation_loss, e.validation_dice, e.seconds);
  }
  MEDCRYPT_TRY(nn::write_weights_file(args.out, report.best));
  fmt::print("best epoch {} (validation Dice {:.4f}, {} training / {} validation images){}; {:.1f} s in all\n",
             report.best_epoch, report.best_validation_dice, report.train_samples, report.validation_samples,
             report.stopped_by_time ? ", stopped by the time limit" : "", report.seconds);
  fmt::print("wrote {} (SHA-256 {})\n", args.out, report.best.digest_hex);
  return {};
}

void add_train_roi(CLI::App* train, Outcome& outcome, const std::string& command) {
  auto args = std::make_shared<TrainRoiArgs>();
  args->options.command = command;
  CLI::App* cmd = train->add_subcommand("roi", "Train paper 000's region-of-interest network (U-Net)");
  cmd->add_option("--data", args->folders, "Labelled set: a folder with images/, masks/ (and labels.csv); repeatable")->required();
  cmd->add_option("--kind", args->options.config.kind,
                  "Image kind the network is for (recorded in the weights); several sets: kinds joined by '+'")
      ->required();
  cmd->add_option("--epochs", args->options.epochs, "Epochs")->required();
  cmd->add_option("--out", args->out, "Weights file to write")->required();
  cmd->add_option("--side", args->options.config.side, "Input side the images are resampled to")->capture_default_str();
  cmd->add_option("--base", args->options.config.base_channels, "Channels of the first level")->capture_default_str();
  cmd->add_option("--batch", args->options.batch, "Images per step")->capture_default_str();
  cmd->add_option("--steps", args->options.steps_per_epoch, "Steps per epoch (0: one pass)")->capture_default_str();
  cmd->add_option("--lr", args->options.learning_rate, "Adam learning rate (cosine decay)")->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the split, initialisation and sampling")->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--test-fold", args->set.test_fold, "cv_fold held out for testing (sets with folds)")->capture_default_str();
  cmd->add_option("--test-fraction", args->set.test_fraction, "Share held out for testing (sets without folds)")->capture_default_str();
  cmd->add_option("--limit", args->set.limit, "At most this many images per split (0: all)")->capture_default_str();
  cmd->add_option("--max-minutes", args->max_minutes, "Stop before an epoch that would end past this (0: none)")->capture_default_str();
  cmd->add_flag("!--no-augment", args->options.augment, "Train without augmentation");
  cmd->callback([args, &outcome] {
    Status s = run_roi(*args);
    if (!s) outcome.fail(s.error());
  });
}

struct TrainKeygenArgs {
  std::vector<std::string> data;
  std::string out;
  double test_fraction = 0.1;
  std::size_t limit = 0;
  double max_minutes = 0;
  nn::KeygenTrainOptions options;
};

Status run_keygen(TrainKeygenArgs& args) {
  nn::KeygenTrainOptions& o = args.options;
  MEDCRYPT_TRY(nn::check_keygen_options(o));
  nn::DatasetOptions data;
  for (const auto& d : args.data) data.sources.emplace_back(d);
  data.channels = 1;
  data.min_side = static_cast<std::uint32_t>(std::max(0, o.crop));
  data.test_fraction = args.test_fraction;
  data.seed = o.seed;
  data.limit = args.limit;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Dataset dataset, nn::load_dataset(data));
  fmt::print("data: {} training images, {} held out (seed {}, test fraction {})\n", dataset.train.size(),
             dataset.test.size(), data.seed, data.test_fraction);
  std::vector<nn::GreyPlane> train, held_out;
  std::size_t skipped = 0;
  for (auto [images, planes] : {std::pair{&dataset.train, &train}, {&dataset.test, &held_out}}) {
    for (const auto& img : *images) {
      auto p = nn::keygen_plane(img);
      if (p) planes->push_back(std::move(*p));
      skipped += !p;
    }
  }
  if (skipped > 0) fmt::print("  skipped {} images the generator cannot take (32-bit or floating point)\n", skipped);
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& d : args.data) sources.push_back(std::filesystem::path(d).filename().string());
  o.data_json = nlohmann::json{{"sources", sources}, {"limit", args.limit}, {"test_fraction", args.test_fraction}}.dump();
  o.max_seconds = args.max_minutes * 60;
  std::unique_ptr<ProgressBar> bar;
  int bar_epoch = 0;
  auto progress = [&](const nn::KeygenProgress& p) {
    if (p.epoch != bar_epoch) {
      bar = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", p.epoch, p.epochs), p.steps);
      bar_epoch = p.epoch;
    }
    bar->update(p.step, fmt::format("G {:.3f}, D {:.3f}", p.generator_loss, p.discriminator_loss));
    if (p.step == p.steps) bar->finish();
  };
  MEDCRYPT_ASSIGN_OR_RETURN(nn::KeygenTrainReport report, nn::train_keygen(train, held_out, o, progress));
  for (const auto& e : report.epochs) {
    fmt::print("epoch {:>3}: G loss {:.4f}, D loss {:.4f}, held-out key entropy {:.4f} bits, |correlation| {:.4f}, "
               "{:.1f} s\n",
               e.epoch, e.generator_loss, e.discriminator_loss, e.key_entropy, e.key_correlation, e.seconds);
  }
  MEDCRYPT_TRY(nn::write_weights_file(args.out, report.last));
  fmt::print("{} epochs{}; {:.1f} s in all\n", report.epochs.size(),
             report.stopped_by_time ? ", stopped by the time limit" : "", report.seconds);
  fmt::print("wrote {} (SHA-256 {})\n", args.out, report.last.digest_hex);
  return {};
}

void add_train_keygen(CLI::App* train, Outcome& outcome, const std::string& command) {
  auto args = std::make_shared<TrainKeygenArgs>();
  args->options.command = command;
  CLI::App* cmd = train->add_subcommand("keygen", "Train paper 001's ZZ-GAN key generator");
  cmd->add_option("--data", args->data, "Image folder or .npz archive (repeatable); converted to grey")->required();
  cmd->add_option("--epochs", args->options.epochs, "Epochs")->required();
  cmd->add_option("--out", args->out, "Weights file to write")->required();
  cmd->add_option("--base", args->options.config.base_channels, "Generator channels of the first layer")->capture_default_str();
  cmd->add_option("--blocks", args->options.config.res_blocks, "Residual blocks")->capture_default_str();
  cmd->add_option("--crop", args->options.crop, "Side of the training crops (multiple of 4)")->capture_default_str();
  cmd->add_option("--batch", args->options.batch, "Crops per step")->capture_default_str();
  cmd->add_option("--steps", args->options.steps_per_epoch, "Steps per epoch")->capture_default_str();
  cmd->add_option("--lr", args->options.learning_rate, "Adam learning rate of both networks")->capture_default_str();
  cmd->add_option("--noise-share", args->options.noise_share, "Share of each batch that is uniform seed noise")->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the split, initialisation and sampling")->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--test-fraction", args->test_fraction, "Share of images held out")->capture_default_str();
  cmd->add_option("--limit", args->limit, "Use at most this many images (0: all)")->capture_default_str();
  cmd->add_option("--max-minutes", args->max_minutes, "Stop before an epoch that would end past this (0: none)")->capture_default_str();
  cmd->callback([args, &outcome] {
    Status s = run_keygen(*args);
    if (!s) outcome.fail(s.error());
  });
}

struct TrainClassifierArgs {
  nn::ClassSetOptions set;
  std::string out;
  double max_minutes = 0;
  nn::ClassifierTrainOptions options;
};

Status run_classifier(TrainClassifierArgs& args) {
  nn::ClassifierTrainOptions& o = args.options;
  args.set.seed = o.seed;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassSet set, nn::load_class_set(args.set));
  o.config.classes = set.classes;
  o.config.channels = set.channels;
  MEDCRYPT_TRY(nn::check_classifier_config(o.config));
  std::vector<std::size_t> per_class(set.classes.size(), 0);
  for (const auto& e : set.train) ++per_class[e.label];
  std::string counts;
  for (std::size_t k = 0; k < per_class.size(); ++k) counts += fmt::format("{}{} {}", k ? ", " : "", set.classes[k], per_class[k]);
  fmt::print("data {}: {} training images ({}), {} held out for testing ({}); label column {}, {} channel(s)\n",
             args.set.folder.string(), set.train.size(), counts, set.test.size(), set.split, set.label_column, set.channels);
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<nn::ClassifierSample> samples, nn::classifier_samples(set.train, o.config.channels, o.config.side));
  args.set.label_column = set.label_column;
  o.split_json = nn::class_split_json(args.set);
  o.max_seconds = args.max_minutes * 60;
  std::unique_ptr<ProgressBar> bar;
  int bar_epoch = 0;
  auto progress = [&](const nn::ClassifierProgress& p) {
    if (p.epoch != bar_epoch) {
      bar = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", p.epoch, p.epochs), p.steps);
      bar_epoch = p.epoch;
    }
    bar->update(p.step, fmt::format("loss {:.4f}", p.loss));
    if (p.step == p.steps) bar->finish();
  };
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassifierTrainReport report, nn::train_classifier(samples, o, progress));
  for (const auto& e : report.epochs) {
    fmt::print("epoch {:>3}: train loss {:.4f}, validation loss {:.4f}, validation accuracy {:.4f}, {:.1f} s\n", e.epoch,
               e.train_loss, e.validation_loss, e.validation_accuracy, e.seconds);
  }
  MEDCRYPT_TRY(nn::write_weights_file(args.out, report.best));
  fmt::print("best epoch {} (validation loss {:.4f}, accuracy {:.4f}; {} training / {} validation images){}; {:.1f} s in all\n",
             report.best_epoch, report.best_validation_loss, report.best_validation_accuracy, report.train_samples,
             report.validation_samples, report.stopped_by_time ? ", stopped by the time limit" : "", report.seconds);
  fmt::print("wrote {} (SHA-256 {}); held-out figures: medcrypt eval classifier --model {}\n", args.out,
             report.best.digest_hex, args.out);
  return {};
}

void add_train_classifier(CLI::App* train, Outcome& outcome, const std::string& command) {
  auto args = std::make_shared<TrainClassifierArgs>();
  args->options.command = command;
  nn::ClassifierTrainOptions& o = args->options;
  CLI::App* cmd = train->add_subcommand("classifier", "Train the diagnostic classifier (ResNet-style CNN, or the logistic baseline)");
  cmd->add_option("--data", args->set.folder, "Labelled set: a folder with images/ and labels.csv")->required();
  cmd->add_option("--set", o.config.set, "Name of the set (recorded in the weights: pneumonia, fundus, brain-tumour, ...)")->required();
  cmd->add_option("--epochs", o.epochs, "Epochs")->required();
  cmd->add_option("--out", args->out, "Weights file to write")->required();
  cmd->add_option("--arch", o.config.arch, "resnet, or logistic (regression on pixels)")->capture_default_str()->check(CLI::IsMember({"resnet", "logistic"}));
  cmd->add_option("--label", args->set.label_column, "Label column (default: label, dr_grade or tb_label)");
  cmd->add_option("--side", o.config.side, "Input side the images are resampled to")->capture_default_str();
  cmd->add_option("--base", o.config.base_channels, "Channels of the first stage")->capture_default_str();
  cmd->add_option("--batch", o.batch, "Images per step")->capture_default_str();
  cmd->add_option("--lr", o.learning_rate, "Adam learning rate (cosine decay)")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "L2 weight decay")->capture_default_str();
  cmd->add_option("--validation-fraction", o.validation_fraction, "Share of the training split that picks the best epoch")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the split, initialisation and sampling")->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--test-fold", args->set.test_fold, "cv_fold held out for testing (sets with folds)")->capture_default_str();
  cmd->add_option("--test-fraction", args->set.test_fraction, "Share of patients held out (sets without folds or an official split)")->capture_default_str();
  cmd->add_option("--limit", args->set.limit, "At most this many images per split (0: all)")->capture_default_str();
  cmd->add_option("--max-minutes", args->max_minutes, "Stop before an epoch that would end past this (0: none)")->capture_default_str();
  cmd->add_flag("!--no-augment", o.augment, "Train without augmentation");
  cmd->add_flag("--flip", o.flip, "Also flip images left-right when augmenting");
  cmd->add_flag("!--no-balance", o.balance, "Do not weight the loss by inverse class frequency");
  cmd->callback([args, &outcome] {
    Status s = run_classifier(*args);
    if (!s) outcome.fail(s.error());
  });
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
  cmd->add_option("--arch", args->arch,
                  "tuned (ae-aes), paper (ae-aes:paper: 3x3 transposed output, dense 3 latent) or paper32 (its "
                  "112x112x32 feature-map latent)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tuned", "paper", "paper32"}));
  cmd->add_option("--side", args->side, "Resample every image to side x side first (0: keep sizes)")->capture_default_str();
  cmd->add_flag("!--no-flip", args->options.flip, "Never flip training patches");
  cmd->add_option("--batch", args->options.batch, "Patches per step")->capture_default_str();
  cmd->add_option("--patch", args->options.patch, "Side of the square training patches")->capture_default_str();
  cmd->add_option("--steps", args->options.steps_per_epoch, "Steps per epoch (0: one patch per image)")->capture_default_str();
  cmd->add_option("--lr", args->options.learning_rate, "Learning rate")->capture_default_str();
  cmd->add_option("--optimizer", args->options.optimizer, "adam, or adamax (paper 002)")
      ->capture_default_str()
      ->check(CLI::IsMember({"adam", "adamax"}));
  cmd->add_flag("!--no-lr-halving", args->options.halve_on_plateau,
                "Keep the learning rate after an epoch without improvement (paper 002's fixed schedule)");
  cmd->add_option("--ssim-weight", args->options.ssim_weight, "Weight of 1 - SSIM in the loss (0: MSE only)")->capture_default_str();
  cmd->add_option("--patience", args->options.patience, "Stop after this many epochs in a row without improvement (0: never); each halves the rate")->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the split, initialisation and sampling")->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Threads (1: bit-for-bit repeatable; 0: all cores)")->capture_default_str();
  cmd->add_option("--test-fraction", args->test_fraction, "Share of images held out for testing")->capture_default_str();
  cmd->add_option("--limit", args->limit, "Use at most this many images (0: all)")->capture_default_str();
  cmd->add_option("--checkpoint", args->checkpoint, "Checkpoint written after each epoch (default OUT.checkpoint)");
  cmd->add_option("--resume", args->resume, "Start from these weights");
  cmd->add_option("--replay", args->replay,
                  "Also train on this set's training split, its test split held out as --data would hold it out "
                  "(repeatable; keeps what --resume's model learned there)");
  cmd->add_option("--replay-test-fraction", args->replay_test_fraction, "The replayed set's test fraction")->capture_default_str();
  cmd->add_option("--replay-limit", args->replay_limit, "At most this many replayed images, a seeded sample (0: all)")->capture_default_str();
  cmd->callback([args, &outcome] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
  add_train_roi(train, outcome, args->options.command);
  add_train_keygen(train, outcome, args->options.command);
  add_train_classifier(train, outcome, args->options.command);
}

}  // namespace medcrypt::cli
