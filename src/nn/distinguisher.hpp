// The network of `medcrypt attack distinguisher` (attacks/distinguisher.hpp): a small CNN trained to tell
// two kinds of images apart (label 1: a scheme's cipher images, or pairs of them; label 0: uniform random
// images, or unrelated pairs), judged on held-out images it never trained on. Plain arrays only; the
// torch code is in nn/torch/distinguisher_net.cpp behind the module seam (nn/backend.hpp).
//
//   [Conv 3x3 (c -> 16), ReLU], [Conv 3x3 stride 2 (16 -> 32), ReLU], [Conv 3x3 stride 2 (32 -> 64), ReLU],
//   global average pooling, Linear (64 -> 1); binary cross-entropy on the logit, Adam.
// Average pooling of learned per-pixel features sees a histogram's bias at once, and the 3x3 layers see
// neighbours (correlation, structure left by a weak permutation); the pair mode stacks the two images
// as two channels, so the first layer sees their sample-wise relation.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.hpp"

namespace medcrypt::nn {

struct DistinguisherSample {
  std::vector<float> values;  // channels x side x side, each in [0, 1]
  int label = 0;              // 0 or 1
};

struct DistinguisherOptions {
  int channels = 1;  // 1, or 2 for pairs
  int side = 64;     // in [8, 512]
  int epochs = 8;
  int batch = 32;
  double learning_rate = 1e-3;
  std::uint64_t seed = 1;
  int threads = 0;  // 0: torch's default
};
Status check_distinguisher_options(const DistinguisherOptions& options);

struct DistinguisherResult {
  std::vector<int> predictions;   // one per held-out sample, 0 or 1
  std::vector<double> epoch_loss;  // mean training loss per epoch
  double seconds = 0;
};

// Trains on `train` (both labels present) and predicts `held_out`.
Result<DistinguisherResult> train_distinguisher(const std::vector<DistinguisherSample>& train,
                                                const std::vector<DistinguisherSample>& held_out,
                                                const DistinguisherOptions& options);

}  // namespace medcrypt::nn
