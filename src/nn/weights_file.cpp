#include "nn/weights_file.hpp"

#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "crypto/hash.hpp"

namespace medcrypt::nn {
namespace {

constexpr std::string_view kMagic = "medcrypt-weights\n";
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kMaxTensorValues = kMaxWeightsFileBytes / sizeof(float);

void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint32_t get_u32(ByteView in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{in[at + i]} << (8 * i);
  return v;
}

Error malformed(const std::string& what) {
  return make_error(ErrorCode::kMalformed, "weights file: " + what);
}

}  // namespace

Result<Bytes> encode_weights(Weights& weights) {
  nlohmann::json header = {{"arch", weights.arch}, {"arch_version", weights.arch_version}};
  header["tensors"] = nlohmann::json::array();
  for (const NamedTensor& t : weights.tensors) {
    std::int64_t count = 1;
    for (std::int64_t d : t.shape) count *= d;
    if (count != static_cast<std::int64_t>(t.values.size())) {
      return make_error(ErrorCode::kInternal, "tensor " + t.name + ": shape does not match its values");
    }
    header["tensors"].push_back({{"name", t.name}, {"shape", t.shape}});
  }
  nlohmann::json training = nlohmann::json::parse(weights.training_json, nullptr, false);
  if (training.is_discarded()) return make_error(ErrorCode::kInternal, "training record is not JSON");
  header["training"] = training;
  const std::string text = header.dump();

  Bytes out(kMagic.begin(), kMagic.end());
  put_u32(out, kFormat);
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
  for (const NamedTensor& t : weights.tensors) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(t.values.data());
    out.insert(out.end(), p, p + t.values.size() * sizeof(float));  // little-endian host (bytes.hpp)
  }
  const crypto::Sha256Digest digest = crypto::sha256(out);
  out.insert(out.end(), digest.begin(), digest.end());
  weights.digest_hex = to_hex(digest);
  return out;
}

Result<Weights> decode_weights(ByteView file) {
  const std::size_t fixed = kMagic.size() + 8;
  if (file.size() < fixed + crypto::kSha256Bytes ||
      std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0) {
    return malformed("not a medcrypt weights file (bad magic or too short)");
  }
  const ByteView body = file.first(file.size() - crypto::kSha256Bytes);
  const crypto::Sha256Digest digest = crypto::sha256(body);
  if (std::memcmp(digest.data(), file.data() + body.size(), digest.size()) != 0) {
    return make_error(ErrorCode::kAuthentication, "weights file: SHA-256 mismatch, the file is altered or truncated");
  }
  if (get_u32(file, kMagic.size()) != kFormat) {
    return make_error(ErrorCode::kVersion, "weights file: unknown format version");
  }
  const std::uint32_t header_size = get_u32(file, kMagic.size() + 4);
  if (header_size > body.size() - fixed) return malformed("header runs past the end");
  const auto* text = reinterpret_cast<const char*>(file.data() + fixed);
  nlohmann::json header = nlohmann::json::parse(text, text + header_size, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return malformed("header is not JSON");

  Weights w;
  try {
    w.arch = header.at("arch").get<std::string>();
    w.arch_version = header.at("arch_version").get<std::uint32_t>();
    w.training_json = header.value("training", nlohmann::json::object()).dump();
    std::size_t at = fixed + header_size;
    for (const auto& entry : header.at("tensors")) {
      NamedTensor t;
      t.name = entry.at("name").get<std::string>();
      t.shape = entry.at("shape").get<std::vector<std::int64_t>>();
      std::size_t count = 1;
      for (std::int64_t d : t.shape) {
        if (d <= 0 || static_cast<std::uint64_t>(d) > kMaxTensorValues / count) return malformed("absurd tensor shape");
        count *= static_cast<std::size_t>(d);
      }
      if (count * sizeof(float) > body.size() - at) return malformed("tensor " + t.name + " runs past the end");
      t.values.resize(count);
      std::memcpy(t.values.data(), file.data() + at, count * sizeof(float));
      at += count * sizeof(float);
      w.tensors.push_back(std::move(t));
    }
    if (at != body.size()) return malformed("bytes left after the last tensor");
  } catch (const nlohmann::json::exception& e) {
    return malformed(std::string("header: ") + e.what());
  }
  w.digest_hex = to_hex(digest);
  return w;
}

Status write_weights_file(const std::filesystem::path& path, Weights& weights) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, encode_weights(weights));
  return write_file_atomic(path, bytes);
}

Result<Weights> read_weights_file(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxWeightsFileBytes));
  auto w = decode_weights(bytes);
  if (!w) return make_error(w.error().code, path.string() + ": " + w.error().message);
  return w;
}

std::filesystem::path shipped_models_directory() {
  if (const char* dir = std::getenv("MEDCRYPT_MODELS"); dir != nullptr && *dir != '\0') return dir;
  return MEDCRYPT_MODEL_DIR;
}

}  // namespace medcrypt::nn
