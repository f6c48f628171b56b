// The plain side of the autoencoder: weight files and locking here, the arithmetic in the torch module.
#include "nn/autoencoder.hpp"

#include <mutex>

#include "nn/backend.hpp"

namespace medcrypt::nn {

struct Autoencoder::Impl {
  std::unique_ptr<Network> network;
  std::string digest_hex;
  std::mutex mutex;  // one inference at a time: torch already spreads one over every core
};

Result<Autoencoder> Autoencoder::fresh(int channels, std::uint64_t seed, AeVariant variant) {
  if (channels != 1 && channels != 3) return make_error(ErrorCode::kUsage, "autoencoder: channels must be 1 or 3");
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<Network> network, backend->create(channels, variant, seed));
  auto impl = std::make_shared<Impl>();
  impl->network = std::move(network);
  return Autoencoder(std::move(impl));
}

Result<Autoencoder> Autoencoder::from_weights(const Weights& w) {
  int channels = 0;
  AeVariant variant = AeVariant::kTuned;
  for (AeVariant v : {AeVariant::kTuned, AeVariant::kPaper, AeVariant::kPaperFeatures}) {
    for (int c : {1, 3}) {
      if (w.arch == autoencoder_arch(c, v)) channels = c, variant = v;
    }
  }
  if (channels == 0) return make_error(ErrorCode::kVersion, "weights are for '" + w.arch + "', not an ae-aes autoencoder");
  if (w.arch_version != kArchVersion) {
    return make_error(ErrorCode::kVersion, "weights are for " + w.arch + " version " + std::to_string(w.arch_version) +
                                               "; this medcrypt runs version " + std::to_string(kArchVersion));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Autoencoder ae, fresh(channels, 0, variant));
  MEDCRYPT_TRY(ae.impl_->network->load(w));
  ae.impl_->digest_hex = w.digest_hex;
  return ae;
}

Result<Autoencoder> Autoencoder::load(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Weights w, read_weights_file(path));
  auto ae = from_weights(w);
  if (!ae) return make_error(ae.error().code, path.string() + ": " + ae.error().message);
  return ae;
}

int Autoencoder::channels() const { return impl_->network->channels(); }
AeVariant Autoencoder::variant() const { return impl_->network->variant(); }
const std::string& Autoencoder::digest_hex() const { return impl_->digest_hex; }

Weights Autoencoder::weights(const std::string& training_json) const {
  Weights w = impl_->network->weights();
  w.training_json = training_json;
  return w;
}

void Autoencoder::set_decoder_path(DecoderPath path) { impl_->network->set_decoder_path(path); }

Result<std::vector<float>> Autoencoder::encode(std::span<const float> tiles, int count, int height, int width) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->network->encode(tiles, count, height, width);
}

Result<std::vector<float>> Autoencoder::decode(std::span<const float> latent, int count, int height, int width) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->network->decode(latent, count, height, width);
}

Result<std::vector<std::uint16_t>> to_float16(std::span<const float> values) {
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  return backend->to_float16(values);
}

Result<std::vector<float>> from_float16(std::span<const std::uint16_t> values) {
  MEDCRYPT_ASSIGN_OR_RETURN(const Backend* backend, torch_backend());
  return backend->from_float16(values);
}

}  // namespace medcrypt::nn
