// Encrypted inference per image (he/encrypted_head.hpp) at 2048 and 3072 bits, beside the plaintext head
// in the same run: the pneumonia network's head shape (128 features, 2 classes), features uniform in
// [0, 4) and weights normal(0, 0.1) as the trained head's are. Each speed-up Paillier allows is measured
// against the step without it (docs/BENCHMARKS.md, "Encrypted inference"):
//   randomness: r^n mod n^2 with the public key, by Chinese remaindering with the private key, or made
//               ahead of time (the online cost only);
//   decryption: Chinese remaindering against the textbook c^lambda mod n^2 (computed here with OpenSSL);
//   batching:   one image per ciphertext, or a full group (31 at 2048 bits, 47 at 3072) packed in slots.
#include <benchmark/benchmark.h>

#include <openssl/bn.h>

#include <map>
#include <random>

#include "he/encrypted_head.hpp"

namespace {

using namespace medcrypt;
using namespace medcrypt::he;

constexpr int kInputs = 128, kClasses = 2;

const PrivateKey& key(int bits) {
  static std::map<int, PrivateKey> keys;
  auto it = keys.find(bits);
  if (it == keys.end()) it = keys.emplace(bits, PrivateKey::generate(bits).value()).first;
  return it->second;
}

std::vector<float> features(int images) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> f(0.0f, 4.0f);
  std::vector<float> out(std::size_t(images) * kInputs);
  for (float& v : out) v = f(rng);
  return out;
}

LinearHead head() {
  std::mt19937 rng(2);
  std::normal_distribution<float> w(0.0f, 0.1f);
  LinearHead h{kClasses, kInputs, {}, {0.1f, -0.1f}, "bench"};
  for (int i = 0; i < kClasses * kInputs; ++i) h.weight.push_back(w(rng));
  return h;
}

int group_images(int bits, bool packed) { return packed ? static_cast<int>(images_per_group(bits)) : 1; }

// The plaintext head: 2 x 128 multiply-adds per image.
void BM_PlainHead(benchmark::State& state) {
  const LinearHead h = head();
  const std::vector<float> f = features(1);
  for (auto _ : state) {
    float logits[kClasses];
    for (int j = 0; j < kClasses; ++j) {
      float s = h.bias[j];
      for (int i = 0; i < kInputs; ++i) s += h.weight[j * kInputs + i] * f[i];
      logits[j] = s;
    }
    benchmark::DoNotOptimize(logits);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlainHead);

// Encrypting one image's features (or a packed group's, counted per image). mode 0: public-key r^n;
// 1: the key holder's CRT r^n; 2: randomness made ahead of time (online cost).
void BM_EncryptFeatures(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0)), mode = static_cast<int>(state.range(1));
  const bool packed = state.range(2) != 0;
  const PrivateKey& k = key(bits);
  const int images = group_images(bits, packed);
  const std::vector<std::int64_t> q = quantize_features(features(images)).value();
  for (auto _ : state) {
    std::vector<Randomness> pool;
    if (mode == 2) {
      state.PauseTiming();
      for (int i = 0; i < kInputs; ++i) pool.push_back(k.randomness().value());
      state.ResumeTiming();
    }
    for (int i = 0; i < kInputs; ++i) {
      std::vector<std::int64_t> slots(images);
      for (int s = 0; s < images; ++s) slots[s] = q[std::size_t(s) * kInputs + i];
      Randomness r = mode == 0 ? k.public_key().randomness().value() : mode == 1 ? k.randomness().value() : std::move(pool[i]);
      benchmark::DoNotOptimize(k.public_key().encrypt_packed(slots, kSlotBits, std::move(r)).value());
    }
  }
  state.SetItemsProcessed(state.iterations() * images);
}
// A fixed number of iterations: with randomness made ahead of time (mode 2, outside the timing) a
// minimum-time rule would spend minutes making randomness it does not time.
BENCHMARK(BM_EncryptFeatures)
    ->ArgNames({"bits", "randomness", "packed"})
    ->ArgsProduct({{2048, 3072}, {0, 1, 2}, {0, 1}})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// The service: the head on one request (one thread), per image.
void BM_EvaluateHead(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const int images = group_images(bits, state.range(1) != 0);
  const PrivateKey& k = key(bits);
  const QuantizedHead q = quantize_head(head()).value();
  const FeatureRequest request = encrypt_features(k, features(images), images, kInputs, "bench").value();
  for (auto _ : state) benchmark::DoNotOptimize(evaluate_head(q, request, 1).value());
  state.SetItemsProcessed(state.iterations() * images);
}
BENCHMARK(BM_EvaluateHead)->ArgNames({"bits", "packed"})->ArgsProduct({{2048, 3072}, {0, 1}})->Unit(benchmark::kMillisecond);

// The owner reads the scores: decrypt_logits (CRT), per image.
void BM_DecryptLogits(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const int images = group_images(bits, state.range(1) != 0);
  const PrivateKey& k = key(bits);
  const LogitReply reply =
      evaluate_head(quantize_head(head()).value(), encrypt_features(k, features(images), images, kInputs, "bench").value()).value();
  for (auto _ : state) benchmark::DoNotOptimize(decrypt_logits(k, reply).value());
  state.SetItemsProcessed(state.iterations() * images);
}
BENCHMARK(BM_DecryptLogits)->ArgNames({"bits", "packed"})->ArgsProduct({{2048, 3072}, {0, 1}})->Unit(benchmark::kMillisecond);

// The reference for CRT decryption: textbook L(c^lambda mod n^2) mu mod n, one ciphertext, with OpenSSL.
void BM_DecryptTextbook(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const PrivateKey& k = key(bits);
  const auto [p_bytes, q_bytes] = k.primes();
  const Bytes c_bytes = k.public_key().encrypt(12345).value().value;
  BN_CTX* ctx = BN_CTX_new();
  BIGNUM *p = BN_bin2bn(p_bytes.span().data(), int(p_bytes.size()), nullptr), *q = BN_bin2bn(q_bytes.span().data(), int(q_bytes.size()), nullptr);
  BIGNUM *n = BN_new(), *n2 = BN_new(), *lambda = BN_new(), *g = BN_new(), *t = BN_new(), *mu = BN_new(), *m = BN_new();
  BIGNUM* c = BN_bin2bn(c_bytes.data(), int(c_bytes.size()), nullptr);
  BN_mul(n, p, q, ctx);
  BN_sqr(n2, n, ctx);
  BN_sub_word(p, 1);
  BN_sub_word(q, 1);
  BN_gcd(t, p, q, ctx);
  BN_mul(lambda, p, q, ctx);
  BN_div(lambda, nullptr, lambda, t, ctx);  // lcm(p - 1, q - 1)
  BN_set_flags(lambda, BN_FLG_CONSTTIME);
  const auto decrypt = [&](BIGNUM* out, const BIGNUM* x) {  // L(x^lambda mod n^2)
    BN_mod_exp_mont_consttime(out, x, lambda, n2, ctx, nullptr);
    BN_sub_word(out, 1);
    BN_div(out, nullptr, out, n, ctx);
  };
  BN_copy(g, n);
  BN_add_word(g, 1);
  decrypt(mu, g);
  BN_mod_inverse(mu, mu, n, ctx);
  for (auto _ : state) {
    decrypt(m, c);
    BN_mod_mul(m, m, mu, n, ctx);
  }
  if (BN_get_word(m) != 12345) state.SkipWithError("textbook decryption disagrees");
  for (BIGNUM* b : {p, q, n, n2, lambda, g, t, mu, m, c}) BN_clear_free(b);
  BN_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecryptTextbook)->ArgNames({"bits"})->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

// One CRT decryption of one ciphertext, for the ratio against the textbook one.
void BM_DecryptCrt(benchmark::State& state) {
  const PrivateKey& k = key(static_cast<int>(state.range(0)));
  const Ciphertext c = k.public_key().encrypt(12345).value();
  for (auto _ : state) benchmark::DoNotOptimize(k.decrypt(c).value());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecryptCrt)->ArgNames({"bits"})->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
