// The plain side of training: weights to resume from are read and checked here, the loop runs in torch.
#include "nn/training.hpp"

#include <optional>

#include "nn/backend.hpp"

namespace medcrypt::nn {

Result<TrainReport> train_autoencoder(const std::vector<image::Image>& images, const TrainOptions& options,
                                      const ProgressFn& progress) {
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  std::optional<Weights> initial;
  if (!options.resume.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(initial, read_weights_file(options.resume));
    if (initial->arch != autoencoder_arch(options.channels)) {
      return make_error(ErrorCode::kUsage, "train: " + options.resume.string() + " holds " + initial->arch +
                                               ", not " + autoencoder_arch(options.channels));
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(TrainReport report, backend->train(images, options, initial ? &*initial : nullptr, progress, [&](Weights& w) -> Status {
    return options.checkpoint.empty() ? Status{} : write_weights_file(options.checkpoint, w);
  }));
  return report;
}

}  // namespace medcrypt::nn
