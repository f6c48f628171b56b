// chaos-henon (sound and paper variants) encrypt/decrypt on one core, beside the raw Henon recurrence and
// AES-256-GCM over the same bytes (aead's cipher, one call, one core) in the same run.
// Floors (issue 4): 512x512 8-bit under 3 ms, 2048x2048 16-bit under 60 ms for the sound variant.
#include <benchmark/benchmark.h>

#include <optional>
#include <random>

#include "chaos/henon.hpp"
#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "image/image_file.hpp"
#include "schemes/chaos_henon.hpp"

namespace medcrypt {
namespace {

image::Image make_image(std::uint32_t w, std::uint32_t h, std::uint8_t bits) {
  auto img = image::Image::create({w, h, 1, 1, bits, bits, false, "MONOCHROME2"}).value();
  std::mt19937 rng(7);
  for (auto& b : img.bytes()) b = static_cast<std::uint8_t>(rng());
  return img;
}

schemes::SchemeKey bench_key() {
  auto k = crypto::sha256(as_bytes("chaos-henon kat key"));  // a key whose paper-variant orbit converges
  return {SecretBytes(k), Bytes(16, 7)};
}

// The serial recurrence alone: two 16-bit words per step.
void BM_HenonWords(benchmark::State& state) {
  chaos::HenonStream stream({1.4, 0.3, 0.1, 0.1, 1000});
  std::vector<std::uint16_t> words(1 << 20);
  for (auto _ : state) {
    stream.fill(words);
    benchmark::DoNotOptimize(words.data());
  }
  state.counters["ns_per_step"] =
      benchmark::Counter(static_cast<double>(words.size() / 2) * state.iterations(),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_HenonWords)->Unit(benchmark::kMillisecond);

void run(benchmark::State& state, const std::string& variant, bool encrypt) {
  const bool big = state.range(0) == 1;
  auto img = big ? make_image(2048, 2048, 16) : make_image(512, 512, 8);
  auto scheme = (variant == "paper"       ? schemes::make_chaos_henon_paper({})
                 : variant == "sound-roi" ? schemes::make_chaos_henon({{"roi", "lung"}})
                                          : schemes::make_chaos_henon({}))
                    .value();
  auto key = bench_key();
  auto cipher = scheme->encode(img, key).value();
  const PixelBytes stored = copy_pixels(cipher.bytes());
  for (auto _ : state) {
    if (encrypt) {
      auto p = scheme->encode(img, key);
      benchmark::DoNotOptimize(p->bytes().data());
    } else {
      auto back = scheme->decode(copy_pixels(stored), img.geometry(), key);  // a memcpy: decode owns its input
      benchmark::DoNotOptimize(back->bytes().data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
  state.SetLabel(big ? "2048x2048 16-bit" : "512x512 8-bit");
}

void BM_SoundEncrypt(benchmark::State& s) { run(s, "sound", true); }
void BM_SoundDecrypt(benchmark::State& s) { run(s, "sound", false); }
// With the lung ROI network: its inference (128x128 U-Net, after the first call's load) is the difference.
void BM_SoundRoiEncrypt(benchmark::State& s) { run(s, "sound-roi", true); }
void BM_SoundRoiDecrypt(benchmark::State& s) { run(s, "sound-roi", false); }
void BM_PaperEncrypt(benchmark::State& s) { run(s, "paper", true); }
void BM_PaperDecrypt(benchmark::State& s) { run(s, "paper", false); }
BENCHMARK(BM_SoundEncrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SoundDecrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SoundRoiEncrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SoundRoiDecrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PaperEncrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PaperDecrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Selective mode against full mode on a real chest X-ray (a random image has no lungs to find): the
// 512x512 8-bit ../shared/data/png/00000001_000.png, and the same image blown up 4x and widened to 16 bits.
std::optional<image::Image> chest_xray(bool big) {
  auto loaded = image::read_image_file(MEDCRYPT_SHARED_DATA "/png/00000001_000.png");
  if (!loaded) return std::nullopt;
  if (!big) return std::move(loaded->image);
  auto img = make_image(2048, 2048, 16);
  for (std::uint32_t y = 0; y < 2048; ++y) {
    for (std::uint32_t x = 0; x < 2048; ++x) {
      img.set_word(std::size_t{y} * 2048 + x, loaded->image.word(std::size_t{y / 4} * 512 + x / 4) * 257);
    }
  }
  return img;
}

void run_chest(benchmark::State& state, const schemes::SchemeParams& params, bool encrypt) {
  const bool big = state.range(0) == 1;
  auto img = chest_xray(big);
  if (!img) {
    state.SkipWithError("../shared/data/png/00000001_000.png is missing");
    return;
  }
  auto scheme = schemes::make_chaos_henon(params).value();
  auto key = bench_key();
  auto cipher = scheme->encode(*img, key).value();
  const PixelBytes stored = copy_pixels(cipher.bytes());
  for (auto _ : state) {
    if (encrypt) {
      auto p = scheme->encode(*img, key);
      benchmark::DoNotOptimize(p->bytes().data());
    } else {
      auto back = scheme->decode(copy_pixels(stored), img->geometry(), key);
      benchmark::DoNotOptimize(back->bytes().data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img->bytes().size()));
  state.SetLabel(big ? "chest X-ray 2048x2048 16-bit" : "chest X-ray 512x512 8-bit");
}

void BM_ChestFullEncrypt(benchmark::State& s) { run_chest(s, {{"roi", "lung"}}, true); }
void BM_ChestFullDecrypt(benchmark::State& s) { run_chest(s, {{"roi", "lung"}}, false); }
void BM_ChestSelectiveEncrypt(benchmark::State& s) { run_chest(s, {{"roi", "lung"}, {"roi-mode", "selective"}}, true); }
void BM_ChestSelectiveDecrypt(benchmark::State& s) { run_chest(s, {{"roi", "lung"}, {"roi-mode", "selective"}}, false); }
BENCHMARK(BM_ChestFullEncrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChestFullDecrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChestSelectiveEncrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChestSelectiveDecrypt)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The reference: AES-256-GCM sealing the same image bytes in one call.
void BM_AesGcmSeal(benchmark::State& state) {
  const bool big = state.range(0) == 1;
  auto img = big ? make_image(2048, 2048, 16) : make_image(512, 512, 8);
  auto aead = crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, bench_key().key).value();
  const Bytes nonce(12, 1);
  Bytes out(img.bytes().size());
  std::uint8_t tag[16];
  for (auto _ : state) {
    benchmark::DoNotOptimize(aead.seal(nonce, ByteView{}, img.bytes(), out, tag).has_value());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
  state.SetLabel(big ? "2048x2048 16-bit" : "512x512 8-bit");
}
BENCHMARK(BM_AesGcmSeal)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace medcrypt

BENCHMARK_MAIN();
