#include "nn/distinguisher.hpp"

#include <fmt/format.h>

#include "nn/backend.hpp"

namespace medcrypt::nn {

Status check_distinguisher_options(const DistinguisherOptions& o) {
  if (o.channels < 1 || o.channels > 2 || o.side < 8 || o.side > 512 || o.epochs < 1 || o.epochs > 1000 || o.batch < 1 ||
      o.batch > 4096 || !(o.learning_rate > 0 && o.learning_rate < 1)) {
    return make_error(ErrorCode::kUsage, "distinguisher: channels 1-2, side 8-512, epochs 1-1000, batch 1-4096, "
                                         "learning rate in (0, 1)");
  }
  return {};
}

Result<DistinguisherResult> train_distinguisher(const std::vector<DistinguisherSample>& train,
                                                const std::vector<DistinguisherSample>& held_out,
                                                const DistinguisherOptions& options) {
  MEDCRYPT_TRY(check_distinguisher_options(options));
  const std::size_t size = std::size_t(options.channels) * options.side * options.side;
  bool labels[2] = {false, false};
  for (const auto* set : {&train, &held_out}) {
    for (const DistinguisherSample& s : *set) {
      if (s.values.size() != size || (s.label != 0 && s.label != 1)) {
        return make_error(ErrorCode::kInternal, "distinguisher: a sample of the wrong size or label");
      }
      if (set == &train) labels[s.label] = true;
    }
  }
  if (!labels[0] || !labels[1] || held_out.empty()) {
    return make_error(ErrorCode::kUsage, "distinguisher: training needs both kinds of images and a held-out set");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  return backend->train_distinguisher(train, held_out, options);
}

}  // namespace medcrypt::nn
