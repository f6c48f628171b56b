// `aead` container throughput beside raw OpenSSL EVP AES-256-GCM on the same bytes, in the same run.
//   raw EVP:   one EVP_EncryptUpdate over the whole buffer (or one per thread over its share) into a
//              preallocated output
//   container: header, key wrap, metadata, STREAM chunks and tags, into a preallocated buffer
// Images: 512x512 8-bit, 2048x2048 16-bit, and a 64 MiB multi-frame study (2048x2048x8, 16-bit).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <random>

#include "container/container.hpp"
#include "core/parallel.hpp"
#include "crypto/random.hpp"

namespace medcrypt {
namespace {

struct Case {
  std::uint32_t w, h, frames;
  std::uint8_t bits;
};
constexpr Case kCases[] = {{512, 512, 1, 8}, {2048, 2048, 1, 16}, {2048, 2048, 8, 16}};

const image::Image& bench_image(int index) {
  static image::Image images[3];
  auto& img = images[index];
  if (img.bytes().empty()) {
    const Case& c = kCases[index];
    img = image::Image::create({c.w, c.h, c.frames, 1, c.bits, c.bits, false, "MONOCHROME2"}).value();
    std::mt19937_64 rng(index);
    for (auto& b : img.bytes()) b = static_cast<std::uint8_t>(rng());
  }
  return img;
}

const SecretBytes& bench_key() {
  static const SecretBytes key = crypto::random_secret(32).value();
  return key;
}

void set_label(benchmark::State& state, const image::Image& img) {
  const auto& g = img.geometry();
  state.SetLabel(std::to_string(g.width) + "x" + std::to_string(g.height) + "x" + std::to_string(g.frames) + " " +
                 std::to_string(g.bits_allocated) + "-bit");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.bytes().size()));
}

// One EVP_EncryptUpdate per thread over its share of the buffer: the ceiling for the container path on
// this machine, threads included (memory bandwidth, not only the cipher, limits large buffers).
void raw_evp(ByteView in, std::span<std::uint8_t> out) {
  std::uint8_t iv[12] = {}, tag[16];
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, bench_key().data(), iv);
  for (std::size_t off = 0; off < out.size(); off += 1u << 30) {
    int len = static_cast<int>(std::min<std::size_t>(1u << 30, out.size() - off));
    EVP_EncryptUpdate(ctx, out.data() + off, &n, in.data() + off, len);
  }
  EVP_EncryptFinal_ex(ctx, nullptr, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
  EVP_CIPHER_CTX_free(ctx);
}

void BM_RawEvpAes256Gcm(benchmark::State& state) {
  const auto& img = bench_image(static_cast<int>(state.range(0)));
  const unsigned threads = static_cast<unsigned>(state.range(1));
  Bytes out(img.bytes().size());
  const std::size_t share = out.size() / threads;
  for (auto _ : state) {
    parallel_for(threads, threads, [&](std::size_t t, unsigned) {
      const std::size_t off = t * share, len = t + 1 == threads ? out.size() - off : share;
      raw_evp(ByteView(img.bytes()).subspan(off, len), std::span<std::uint8_t>(out).subspan(off, len));
    });
    benchmark::DoNotOptimize(out.data());
  }
  set_label(state, img);
}

container::Metadata bench_metadata() { return {"bench.dcm", "dicom", {}, {}, {}}; }

void BM_ContainerSeal(benchmark::State& state) {
  const auto& img = bench_image(static_cast<int>(state.range(0)));
  auto scheme = schemes::builtin_registry().create("aead").value();
  container::SealOptions opt;
  opt.threads = static_cast<unsigned>(state.range(1));
  const auto to = container::Recipients::shared_key(bench_key());
  Bytes out(img.bytes().size() + img.bytes().size() / 1000 + 4096);
  for (auto _ : state) {
    container::MemorySink sink(out);
    if (!container::seal(img, bench_metadata(), *scheme, to, opt, sink)) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(out.data());
  }
  set_label(state, img);
}

void BM_ContainerOpen(benchmark::State& state) {
  const auto& img = bench_image(static_cast<int>(state.range(0)));
  auto scheme = schemes::builtin_registry().create("aead").value();
  const auto to = container::Recipients::shared_key(bench_key());
  container::MemorySink sink;
  if (!container::seal(img, bench_metadata(), *scheme, to, {}, sink)) state.SkipWithError("seal failed");
  Bytes sealed = std::move(sink).take();
  container::OpenOptions opt;
  opt.threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    container::MemorySource source(sealed);
    auto opened = container::open(source, container::OpenKeys::shared_key(bench_key()), opt);
    if (!opened) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened->image.bytes().data());
  }
  set_label(state, img);
}

void ThreadArgs(benchmark::internal::Benchmark* b) {
  for (int image = 0; image < 3; ++image) {
    for (int threads : {1, static_cast<int>(default_threads())}) b->Args({image, threads});
  }
  b->ArgNames({"image", "threads"});
  b->UseRealTime();
}

BENCHMARK(BM_RawEvpAes256Gcm)->Apply(ThreadArgs);
BENCHMARK(BM_ContainerSeal)->Apply(ThreadArgs);
BENCHMARK(BM_ContainerOpen)->Apply(ThreadArgs);

}  // namespace
}  // namespace medcrypt

BENCHMARK_MAIN();
