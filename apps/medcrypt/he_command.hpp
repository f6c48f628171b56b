// What `serve` shares with `he`: the classifier's last layer as the encrypted-inference service holds it.
#pragma once

#include <string>

#include "core/result.hpp"
#include "he/encrypted_head.hpp"

namespace medcrypt::cli {

// The head of the classifier weights file `model` ("": the shipped pneumonia network), in fixed point.
Result<he::QuantizedHead> load_quantized_head(const std::string& model);

}  // namespace medcrypt::cli
