// Training the autoencoder: Adam (or paper 002's Adamax) on MSE + w (1 - SSIM) over random patches
// (flipped at random), seeded; bit-for-bit repeatable with threads = 1. A validation share of the
// training images (never the test split) picks the best epoch; each epoch that does not improve it halves
// the learning rate (unless halving is off), and `patience` such epochs in a row stop training.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"
#include "nn/autoencoder.hpp"

namespace medcrypt::nn {

struct TrainOptions {
  int channels = 3;
  AeVariant variant = AeVariant::kTuned;
  bool flip = true;                  // flip patches left-right half the time
  int epochs = 10;
  int batch = 16;
  std::uint32_t patch = 48;          // side of the square training patches (even)
  std::size_t steps_per_epoch = 0;   // 0: one patch per training image per epoch
  double learning_rate = 1e-3;
  std::string optimizer = "adam";    // or "adamax" (Keras's update, nn/torch/adamax.hpp)
  bool halve_on_plateau = true;      // halve the rate after an epoch without a better validation loss
  double ssim_weight = 0.05;         // w: SSIM (Gaussian window, sigma 1.5, as metrics/ssim.hpp) in the loss
  double validation_fraction = 0.1;  // of the training images
  int patience = 3;                  // epochs without a better validation loss before stopping (0: never)
  std::uint64_t seed = 1;
  int threads = 0;                   // 0: torch's default (every core)
  std::filesystem::path checkpoint;  // written after every epoch when set
  std::filesystem::path resume;      // start from these weights when set
  std::string command;               // recorded in the weights' training record
};

struct Progress {
  int epoch = 0, epochs = 0;
  std::size_t step = 0, steps = 0;
  double loss = 0;       // running mean of this epoch
  double elapsed_s = 0;  // since training began
  double eta_s = 0;      // for the remaining epochs
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, validation_loss = 0, seconds = 0;
};

struct TrainReport {
  std::vector<EpochRecord> epochs;
  int best_epoch = 0;
  double best_validation_loss = 0;
  bool stopped_early = false;
  double seconds = 0;
  std::size_t train_images = 0, validation_images = 0;
  Weights best;  // the best epoch's weights, training record included (digest filled when written)
};

using ProgressFn = std::function<void(const Progress&)>;
using CheckpointFn = std::function<Status(Weights&)>;

Result<TrainReport> train_autoencoder(const std::vector<image::Image>& images, const TrainOptions& options,
                                      const ProgressFn& progress = {});

}  // namespace medcrypt::nn
