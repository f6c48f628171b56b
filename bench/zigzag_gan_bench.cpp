// zigzag-gan (paper 001) encrypt and decrypt at 256x256 and 512x512 8-bit, and their shares: the ZZ-GAN
// generator making the key image (float64, at most 128x128 whatever the frame; encrypting only), the zigzag
// + XOR path, each scan alone and the composed-order scatter the path replaced; beside AES-256-GCM opening
// the same bytes (aead's cipher) and a plain memory pass (copy) in the same run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "crypto/keystream.hpp"
#include "nn/keygen.hpp"
#include "schemes/zigzag_gan.hpp"
#include "zigzag/cipher.hpp"

namespace medcrypt {
namespace {

std::uint32_t side(const benchmark::State& state) { return static_cast<std::uint32_t>(state.range(0)); }

image::Image make_image(std::uint32_t n) {
  auto img = image::Image::create({n, n, 1, 1, 8, 8, false, "MONOCHROME2"}).value();
  std::mt19937 rng(7);
  for (auto& b : img.bytes()) b = static_cast<std::uint8_t>(rng());
  return img;
}

schemes::SchemeKey bench_key() {
  auto k = crypto::sha256(as_bytes("zigzag-gan bench key"));
  return {SecretBytes(k), Bytes(16, 7)};
}

// The whole scheme. Encrypting runs the generator (the key image) and seals the key image; decrypting
// opens it: no network.
void run(benchmark::State& state, bool paper, bool encrypt) {
  auto img = make_image(side(state));
  auto scheme = (paper ? schemes::make_zigzag_gan_paper({}) : schemes::make_zigzag_gan({})).value();
  auto cipher = scheme->encode(img, bench_key()).value();
  const PixelBytes stored = copy_pixels(cipher.bytes());
  for (auto _ : state) {
    if (encrypt) {
      auto p = scheme->encode(img, bench_key());
      benchmark::DoNotOptimize(p->bytes().data());
    } else {
      auto back = scheme->decode(copy_pixels(stored), img.geometry(), bench_key());  // a memcpy: decode owns its input
      benchmark::DoNotOptimize(back->bytes().data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}
void BM_SoundEncrypt(benchmark::State& s) { run(s, false, true); }
void BM_SoundDecrypt(benchmark::State& s) { run(s, false, false); }
void BM_PaperEncrypt(benchmark::State& s) { run(s, true, true); }
void BM_PaperDecrypt(benchmark::State& s) { run(s, true, false); }
BENCHMARK(BM_SoundEncrypt)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SoundDecrypt)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PaperEncrypt)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PaperDecrypt)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

// The GAN's share: the generator on a 128x128 seed (what every frame of 128x128 or more costs).
void BM_KeyGenerator(benchmark::State& state) {
  auto generator = nn::KeyGenerator::shipped().value();
  std::vector<float> seed(128 * 128);
  std::mt19937 rng(3);
  for (auto& v : seed) v = static_cast<float>((rng() & 255) / 127.5 - 1.0);
  for (auto _ : state) {
    auto key = generator.generate(seed, 128, 128);
    benchmark::DoNotOptimize(key->data());
  }
}
BENCHMARK(BM_KeyGenerator)->Unit(benchmark::kMillisecond);

// The zigzag and XOR path alone, as the sound variant runs it once it has the key image: the AES-256-CTR
// keystream taken off the cipher image, then the XOR with the key image and the three inverse scans.
void BM_ZigzagXorDecrypt(benchmark::State& state) {
  const std::uint32_t n = side(state);
  auto img = make_image(n);
  const Bytes key_image(img.bytes().begin(), img.bytes().end());
  const SecretBytes stream_key(crypto::sha256(as_bytes("stream")));
  const zigzag::ScanPlan plan = zigzag::scan_plan(77);
  Bytes masked(key_image.size()), out(key_image.size()), scratch(key_image.size());
  for (auto _ : state) {
    (void)crypto::aes256_ctr_xor(stream_key, Bytes(16, 0), img.bytes(), masked);
    (void)zigzag::decrypt_frame<std::uint8_t>(n, n, plan, masked, key_image, out, scratch, 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}
BENCHMARK(BM_ZigzagXorDecrypt)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);

// The same without the keystream, as the paper variant runs it: the XOR and the three inverse scans.
void BM_ZigzagXorDecryptPaper(benchmark::State& state) {
  const std::uint32_t n = side(state);
  auto img = make_image(n);
  const Bytes key_image(img.bytes().begin(), img.bytes().end());
  const zigzag::ScanPlan plan = zigzag::scan_plan(77);
  Bytes out(key_image.size()), scratch(key_image.size());
  for (auto _ : state) {
    (void)zigzag::decrypt_frame<std::uint8_t>(n, n, plan, img.bytes(), key_image, out, scratch, 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}
BENCHMARK(BM_ZigzagXorDecryptPaper)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);

// The scans alone, one at a time, each a pass over the frame: horizontal (row copies), vertical (a
// transpose) and diagonal (JPEG's zigzag).
void BM_OneScan(benchmark::State& state) {
  const std::uint32_t n = side(state);
  auto img = make_image(n);
  Bytes out(img.bytes().size());
  const zigzag::Scan scan{static_cast<zigzag::Pattern>(state.range(1)), zigzag::Corner::kBottomRight};
  for (auto _ : state) {
    (void)zigzag::unscramble<std::uint8_t>(n, n, scan, img.bytes(), out, 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
  state.SetLabel(zigzag::describe(scan));
}
BENCHMARK(BM_OneScan)->ArgsProduct({{512}, {0, 1, 2}})->Unit(benchmark::kMicrosecond);

// What the path did before it ran line by line, for comparison in the same run: the plan's composed order
// built (three scans, two gathers) and the inverse scatter through it.
void BM_ComposedOrderScatter(benchmark::State& state) {
  const std::uint32_t n = side(state);
  auto img = make_image(n);
  Bytes out(img.bytes().size());
  for (auto _ : state) {
    const auto order = zigzag::plan_order(n, n, zigzag::scan_plan(77)).value();
    for (std::size_t i = 0; i < order.size(); ++i) out[order[i]] = img.bytes()[i];
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}
BENCHMARK(BM_ComposedOrderScatter)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);

// References in the same run: AES-256-GCM opening the same bytes in one call, and one memcpy of them.
void BM_AesGcmOpen(benchmark::State& state) {
  auto img = make_image(side(state));
  auto aead = crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, bench_key().key).value();
  const Bytes nonce(12, 1);
  Bytes sealed(img.bytes().size()), out(img.bytes().size());
  std::uint8_t tag[16];
  (void)aead.seal(nonce, ByteView{}, img.bytes(), sealed, tag);
  for (auto _ : state) {
    benchmark::DoNotOptimize(aead.open(nonce, ByteView{}, sealed, tag, out).has_value());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}
BENCHMARK(BM_AesGcmOpen)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);

void BM_Memcpy(benchmark::State& state) {
  auto img = make_image(side(state));
  Bytes out(img.bytes().size());
  for (auto _ : state) {
    std::memcpy(out.data(), img.bytes().data(), out.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}
BENCHMARK(BM_Memcpy)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace medcrypt

BENCHMARK_MAIN();
