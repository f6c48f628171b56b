// Weight files: an architecture name and version, named float32 tensors, a training record, and a
// SHA-256 over all of it. Any altered, truncated or mismatched file is refused when read.
//
// Layout: "medcrypt-weights\n", u32 format (1), u32 n, n bytes of JSON {"arch", "arch_version",
// "tensors": [{"name", "shape"}], "training": {...}}, the tensors' float32 values (little-endian, in
// that order), then SHA-256 of every byte before it. The digest names the model in containers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace medcrypt::nn {

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

struct Weights {
  std::string arch;                // e.g. "ae-aes-rgb"
  std::uint32_t arch_version = 1;  // a changed architecture gets a new version
  std::vector<NamedTensor> tensors;
  std::string training_json = "{}";  // how the weights were made (command, data, epochs, loss)
  std::string digest_hex;            // SHA-256 of the file; filled by read/encode
};

inline constexpr std::uint64_t kMaxWeightsFileBytes = 256ull << 20;

Result<Bytes> encode_weights(Weights& weights);  // fills weights.digest_hex
Result<Weights> decode_weights(ByteView file);
Status write_weights_file(const std::filesystem::path& path, Weights& weights);  // atomic
Result<Weights> read_weights_file(const std::filesystem::path& path);

// Where the shipped networks are: $MEDCRYPT_MODELS, else this source tree's models/.
std::filesystem::path shipped_models_directory();

}  // namespace medcrypt::nn
