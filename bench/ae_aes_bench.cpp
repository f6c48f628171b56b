// ae-aes (paper 002, Table 3) on a 224x224 RGB image, beside AES-256-GCM (`aead`) on the raw image in
// the same run:
//   encode + seal: encoder, then the container's AES-256-GCM over the latent (floor: < 40 ms)
//   open + decode: the container opened and authenticated, then the decoder (floor: < 60 ms)
//   encoder / decoder alone, the decoder on each nn::DecoderPath (kFast is what decrypt runs)
// and the same two for ae-aes:paper (the paper's own network; paper 002's Tables 3 and 4).
// Counters: bytes sent (the container) against the raw image's bytes.
#include <benchmark/benchmark.h>

#include <random>

#include "container/container.hpp"
#include "crypto/random.hpp"
#include "nn/image_codec.hpp"
#include "schemes/ae_aes.hpp"

namespace medcrypt {
namespace {

// A smooth RGB image (random pixels would be an unfair input for an autoencoder, not a faster one).
const image::Image& bench_image() {
  static const image::Image img = [] {
    image::Image i = image::Image::create({224, 224, 1, 3, 8, 8, false, "RGB"}).value();
    for (std::uint32_t y = 0; y < 224; ++y) {
      for (std::uint32_t x = 0; x < 224; ++x) {
        for (std::uint32_t c = 0; c < 3; ++c) i.set_word((y * 224 + x) * 3 + c, (x + 2 * y + 40 * c) % 256);
      }
    }
    return i;
  }();
  return img;
}

const SecretBytes& bench_key() {
  static const SecretBytes key = crypto::random_secret(32).value();
  return key;
}

container::Metadata bench_metadata() {
  container::Metadata m;
  m.format = "png";
  return m;
}

Bytes seal(const schemes::Scheme& scheme) {
  container::MemorySink sink;
  if (!container::seal(bench_image(), bench_metadata(), scheme, container::Recipients::shared_key(bench_key()), {}, sink)) return {};
  return std::move(sink).take();
}

// The scheme `name`, with `latent=` set where one is given (ae-aes:paper's feature map).
std::unique_ptr<schemes::Scheme> make_scheme(const char* name, const char* latent) {
  if (latent == nullptr) return schemes::builtin_registry().create(name).value();
  return schemes::builtin_registry().create(name, {{"latent", latent}}).value();
}

void BM_Seal(benchmark::State& state, const char* name, const char* latent) {
  auto scheme = make_scheme(name, latent);
  std::size_t sent = 0;
  for (auto _ : state) {
    Bytes sealed = seal(*scheme);
    if (sealed.empty()) state.SkipWithError("seal failed");
    sent = sealed.size();
  }
  state.counters["sent_bytes"] = static_cast<double>(sent);
  state.counters["image_bytes"] = static_cast<double>(bench_image().bytes().size());
}

void BM_Open(benchmark::State& state, const char* name, const char* latent) {
  auto scheme = make_scheme(name, latent);
  const Bytes sealed = seal(*scheme);
  for (auto _ : state) {
    container::MemorySource source(sealed);
    auto opened = container::open(source, container::OpenKeys::shared_key(bench_key()), {});
    if (!opened) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened->image.bytes().data());
  }
  state.counters["received_bytes"] = static_cast<double>(sealed.size());
}

void BM_Network(benchmark::State& state, bool decoder, nn::DecoderPath path) {
  auto model = nn::Autoencoder::load(schemes::ae_aes_model_path(3)).value();
  model.set_decoder_path(path);
  const auto latent = nn::encode_image(model, bench_image()).value();
  for (auto _ : state) {
    if (decoder) {
      benchmark::DoNotOptimize(nn::decode_image(model, latent, bench_image().geometry()).value().bytes().data());
    } else {
      benchmark::DoNotOptimize(nn::encode_image(model, bench_image()).value().data());
    }
  }
}

BENCHMARK_CAPTURE(BM_Seal, aead_raw_image, "aead", nullptr)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Seal, ae_aes_encoder_and_seal, "ae-aes", nullptr)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Seal, ae_aes_paper_encoder_and_seal, "ae-aes:paper", nullptr)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Seal, ae_aes_paper_features_encoder_and_seal, "ae-aes:paper", "features")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Open, aead_raw_image, "aead", nullptr)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Open, ae_aes_open_and_decoder, "ae-aes", nullptr)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Open, ae_aes_paper_open_and_decoder, "ae-aes:paper", nullptr)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Open, ae_aes_paper_features_open_and_decoder, "ae-aes:paper", "features")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Network, encoder, false, nn::DecoderPath::kFast)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Network, decoder_fast, true, nn::DecoderPath::kFast)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Network, decoder_flipped_conv2d, true, nn::DecoderPath::kFlippedConv2d)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Network, decoder_conv_transpose2d, true, nn::DecoderPath::kConvTranspose2d)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace medcrypt

BENCHMARK_MAIN();
