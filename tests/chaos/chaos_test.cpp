// chaos-henon: the Henon map, the known answers of the independent Python reference, round trips over
// odd geometries and every shared image, and the properties each variant claims (or does not).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "chaos/henon.hpp"
#include "chaos/permutation.hpp"
#include "core/file_io.hpp"
#include "crypto/hash.hpp"
#include "image/image_file.hpp"
#include "schemes/chaos_henon.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::filesystem::path kSource = MEDCRYPT_SOURCE_DIR;

schemes::SchemeKey kat_key() {
  auto k = crypto::sha256(as_bytes("chaos-henon kat key"));
  auto m = crypto::sha256(as_bytes("chaos-henon kat message id"));
  return {SecretBytes(k), Bytes(m.begin(), m.begin() + 16)};
}

// The reference script's kat_image(): an LCG, top bits, masked to the word size.
image::Image lcg_image(std::uint32_t w, std::uint32_t h, std::uint32_t frames, std::uint8_t samples, std::uint8_t bits) {
  image::Geometry g{w, h, frames, samples, bits, bits, false, samples == 3 ? "RGB" : "MONOCHROME2"};
  auto img = image::Image::create(g).value();
  std::uint64_t state = 12345;
  for (std::size_t i = 0; i < g.sample_count(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    img.set_word(i, static_cast<std::uint32_t>(state >> 33) & ((1u << bits) - 1));
  }
  return img;
}

std::unique_ptr<schemes::Scheme> make(const std::string& variant, const schemes::SchemeParams& params = {}) {
  auto s = variant == "paper"      ? schemes::make_chaos_henon_paper(params)
           : variant == "paper-v1" ? schemes::make_chaos_henon_paper_v1(params)
                                   : schemes::make_chaos_henon(params);
  EXPECT_TRUE(s) << s.error().message;
  return std::move(s).value();
}

image::Image cipher_of(const schemes::Scheme& s, const image::Image& i, const schemes::SchemeKey& k) {
  auto p = s.encode(i, k).value();
  return image::Image::from_bytes(i.geometry(), PixelBytes(p.bytes().begin(), p.bytes().end())).value();
}

double fraction_differing(const image::Image& a, const image::Image& b) {
  std::size_t differ = 0, n = a.geometry().sample_count();
  for (std::size_t i = 0; i < n; ++i) differ += a.word(i) != b.word(i);
  return static_cast<double>(differ) / static_cast<double>(n);
}

TEST(Henon, FirstIteratesFromTheOrigin) {
  // x1 = 1, y1 = 0; x2 = 1 - 1.4 = -0.4, y2 = 0.3; x3 = 1.3 - 1.4 * 0.16 = 1.076, y3 = -0.12 (each step
  // evaluated as (1 + y) - (a x) x, in that order).
  chaos::HenonStream s({1.4, 0.3, 0.0, 0.0, 3});
  double x = 0.0, y = 0.0;
  for (int i = 0; i < 4; ++i) {
    double xn = (1.0 + y) - (1.4 * x) * x;
    y = 0.3 * x;
    x = xn;
  }
  EXPECT_NEAR(x, 1.0 - 1.4 * 1.076 * 1.076 - 0.12, 1e-15);
  EXPECT_EQ(s.next(), chaos::quantise(x));
  EXPECT_EQ(s.next(), chaos::quantise(y));
}

TEST(Henon, ClassicAttractorIsChaoticAndPeriodicWindowsAreDetected) {
  chaos::HenonStream classic({1.4, 0.3, 0.1, 0.1, 1000});
  ASSERT_TRUE(classic.finite());
  EXPECT_NEAR(classic.lyapunov(20000), 0.419, 0.01);  // the literature value for a = 1.4, b = 0.3
  // a = 1.25 lies in a period-7 window of the Henon map: a negative exponent.
  chaos::HenonStream periodic({1.25, 0.3, 0.1, 0.1, 5000});
  ASSERT_TRUE(periodic.finite());
  EXPECT_LT(periodic.lyapunov(5000), 0.0);
  chaos::HenonStream diverging({1.4, 0.3, 0.0, 75.0 / 256.0 + 2.0, 100});
  EXPECT_FALSE(diverging.finite());
}

TEST(Henon, OddWordCountsContinueTheSameSequence) {
  chaos::HenonStream a({1.4, 0.3, 0.2, 0.1, 10}), b({1.4, 0.3, 0.2, 0.1, 10});
  std::vector<std::uint16_t> all(9), parts(9);
  a.fill(all);
  b.fill(std::span(parts).first(3));
  b.fill(std::span(parts).subspan(3, 5));
  parts[8] = b.next();
  EXPECT_EQ(all, parts);
}

TEST(Permutation, IsAPermutationAndItsInverseUndoesIt) {
  chaos::HenonStream s({1.4, 0.3, 0.2, 0.1, 100});
  for (std::uint32_t n : {0u, 1u, 2u, 3u, 100u, 511u}) {
    auto p = chaos::random_permutation(n, s);
    auto sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i);
    auto inv = chaos::invert(p);
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(inv[p[i]], i);
  }
}

TEST(Permutation, PositionsAreUniform) {
  // 6000 shuffles of 4 items: each item lands in each position about 1500 times.
  chaos::HenonStream s({1.4, 0.3, 0.3, 0.05, 500});
  int counts[4][4] = {};
  for (int t = 0; t < 6000; ++t) {
    auto p = chaos::random_permutation(4, s);
    for (int i = 0; i < 4; ++i) ++counts[i][p[i]];
  }
  for (auto& row : counts) {
    for (int c : row) EXPECT_NEAR(c, 1500, 150);
  }
}

TEST(PaperKeySchedule, AThirdOfTheInitialConditionsDiverge) {
  // numpy, iterating all 65536 (x0, y0) = (i/256, j/256) 10000 times, counts 20895 diverging pairs.
  int diverging = 0;
  for (int x = 0; x < 256; ++x) {
    for (int y = 0; y < 256; ++y) diverging += !chaos::HenonStream({1.4, 0.3, x / 256.0, y / 256.0, 10000}).finite();
  }
  EXPECT_EQ(diverging, 20895);
  EXPECT_NEAR(schemes::chaos_henon_paper_info().key_space_bits, std::log2(65536 - diverging), 0.05);
}

struct KatLine {
  std::string name, variant;
  std::uint32_t w, h, frames, samples, bits, rounds, block;
  std::string plain_digest, cipher_digest;
};

std::vector<KatLine> read_kat(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<KatLine> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    KatLine k;
    s >> k.name >> k.variant >> k.w >> k.h >> k.frames >> k.samples >> k.bits >> k.rounds >> k.block >> k.plain_digest >>
        k.cipher_digest;
    out.push_back(k);
  }
  return out;
}

TEST(KnownAnswer, MatchesTheIndependentPythonReference) {
  auto kats = read_kat(kSource / "tests/vectors/chaos/kat.txt");
  ASSERT_EQ(kats.size(), 9u);
  for (const auto& k : kats) {
    SCOPED_TRACE(k.name);
    auto img = lcg_image(k.w, k.h, k.frames, static_cast<std::uint8_t>(k.samples), static_cast<std::uint8_t>(k.bits));
    ASSERT_EQ(to_hex(crypto::sha256(img.bytes())), k.plain_digest);
    schemes::SchemeParams params;
    if (k.variant == "sound") params = {{"rounds", std::to_string(k.rounds)}, {"block", std::to_string(k.block)}};
    auto scheme = make(k.variant, params);
    auto key = kat_key();
    auto payload = scheme->encode(img, key);
    ASSERT_TRUE(payload) << payload.error().message;
    EXPECT_EQ(to_hex(crypto::sha256(payload->bytes())), k.cipher_digest);
    auto back = scheme->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), img.geometry(), key);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, img);
  }
}

TEST(KnownAnswer, TheReferenceScriptStillWritesTheStoredTable) {
  auto r = run_command(system_python() + " " + shell_quote((kSource / "tests/interop/chaos_henon_reference.py").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Bytes stored = read_file(kSource / "tests/vectors/chaos/kat.txt", 1 << 20).value();
  EXPECT_EQ(r.out, std::string(stored.begin(), stored.end()));
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(RoundTrip, OddGeometries) {
  auto [variant, which] = GetParam();
  struct G {
    std::uint32_t w, h, f;
    std::uint8_t s, bits;
  } geometries[] = {{1, 1, 1, 1, 8}, {7, 13, 1, 1, 8}, {511, 509, 1, 1, 8}, {64, 33, 1, 1, 16},
                    {45, 31, 1, 3, 8}, {30, 20, 5, 1, 16}, {96, 64, 2, 3, 16}};
  const auto& g = geometries[which];
  auto img = lcg_image(g.w, g.h, g.f, g.s, g.bits);
  auto scheme = make(variant);
  auto key = kat_key();
  auto payload = scheme->encode(img, key);
  ASSERT_TRUE(payload) << payload.error().message;
  auto back = scheme->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), img.geometry(), key);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, img);
  if (img.geometry().sample_count() > 16) {
    auto cipher = image::Image::from_bytes(img.geometry(), PixelBytes(payload->bytes().begin(), payload->bytes().end()));
    EXPECT_GT(fraction_differing(*cipher, img), 0.9);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RoundTrip,
                         ::testing::Combine(::testing::Values("sound", "paper", "paper-v1"), ::testing::Range(0, 7)));

TEST(RoundTrip, EverySharedImage) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto images = shared_images();
  ASSERT_GE(images.size(), 30u);
  auto sound = make("sound"), paper = make("paper");
  auto key = kat_key();
  for (const auto& path : images) {
    SCOPED_TRACE(path.string());
    auto loaded = image::read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    for (const auto* scheme : {sound.get(), paper.get()}) {
      auto payload = scheme->encode(loaded->image, key);
      ASSERT_TRUE(payload) << payload.error().message;
      auto back = scheme->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), loaded->image.geometry(), key);
      ASSERT_TRUE(back);
      EXPECT_TRUE(*back == loaded->image);
    }
  }
}

TEST(Sensitivity, SoundVariantChangesEverythingPaperVariantDoesNot) {
  auto img = lcg_image(128, 128, 1, 1, 8);
  auto changed = img;
  changed.set_word(5000, (changed.word(5000) + 1) & 0xFF);
  auto key = kat_key();
  auto sound = make("sound"), paper = make("paper");
  // One plain sample changed: the two-pass diffusion changes about 255/256 of the cipher samples.
  EXPECT_GT(fraction_differing(cipher_of(*sound, img, key), cipher_of(*sound, changed, key)), 0.99);
  // And by unrelated amounts: the mean absolute difference of two independent uniform bytes is 85.33
  // (UACI 33.46 %). A chain that only adds or xors would move every later sample by the same difference.
  const auto a = cipher_of(*sound, img, key), b = cipher_of(*sound, changed, key);
  double sum = 0;
  for (std::size_t i = 0; i < a.geometry().sample_count(); ++i) sum += std::abs(int(a.word(i)) - int(b.word(i)));
  EXPECT_NEAR(100.0 * sum / (255.0 * a.geometry().sample_count()), 33.46, 0.6);
  // Version 1's single forward pass only reaches the samples after the change in scrambled order.
  auto paper_v1 = make("paper-v1");
  EXPECT_LT(fraction_differing(cipher_of(*paper_v1, img, key), cipher_of(*paper_v1, changed, key)), 0.99);
  // Another message nonce: an unrelated cipher image (sound); the paper variant has no nonce at all.
  auto other_nonce = kat_key();
  other_nonce.message_id[0] ^= 1;
  EXPECT_GT(fraction_differing(cipher_of(*sound, img, key), cipher_of(*sound, img, other_nonce)), 0.99);
  EXPECT_EQ(cipher_of(*paper, img, key), cipher_of(*paper, img, other_nonce));
  // One key bit flipped.
  auto flipped = kat_key();
  flipped.key.data()[31] ^= 0x01;
  EXPECT_GT(fraction_differing(cipher_of(*sound, img, key), cipher_of(*sound, img, flipped)), 0.99);
}

image::Image xor_of(const image::Image& a, const image::Image& b) {
  auto out = a;
  for (std::size_t i = 0; i < a.geometry().sample_count(); ++i) out.set_word(i, a.word(i) ^ b.word(i));
  return out;
}

// Version 2's four rounds of bit rotation and horizontal and vertical XOR chains spread one flipped bit over
// the whole image with the statistics of Table 5 (NPCR 99.60-99.63 %, UACI 33.40-33.45 %), yet the cipher
// is affine over GF(2): the cipher difference a flipped bit makes is the same whatever the image.
TEST(PaperVariant, OneFlippedBitSpreadsLikeTableFiveButTheDifferenceIgnoresTheImage) {
  auto paper = make("paper");
  const auto key = kat_key();
  const auto img = lcg_image(128, 128, 1, 1, 8);
  auto other = img;
  for (std::size_t i = 0; i < other.geometry().sample_count(); ++i) other.set_word(i, (img.word(i) * 7 + 3) & 0xFF);
  auto flip = [](image::Image image) {
    image.set_word(64 * 128 + 64, image.word(64 * 128 + 64) ^ 1);
    return image;
  };
  const auto a = cipher_of(*paper, img, key), b = cipher_of(*paper, flip(img), key);
  double differing = fraction_differing(a, b), sum = 0;
  for (std::size_t i = 0; i < a.geometry().sample_count(); ++i) sum += std::abs(int(a.word(i)) - int(b.word(i)));
  EXPECT_NEAR(100.0 * differing, 99.61, 0.2);
  EXPECT_NEAR(100.0 * sum / (255.0 * a.geometry().sample_count()), 33.46, 0.8);
  EXPECT_EQ(xor_of(a, b), xor_of(cipher_of(*paper, other, key), cipher_of(*paper, flip(other), key)));
}

TEST(PaperVariant, ADivergingKeyIsRedrawnWithHkdfAndStillRoundTrips) {
  schemes::SchemeKey key = kat_key();
  // x0 = 0, y0 = 75/256 diverges (one of the 20895 counted above): bytes 0..7 XOR to 0, 8..15 XOR to 75.
  std::fill(key.key.data(), key.key.data() + 16, 0);
  key.key.data()[8] = 75;
  // The documented redraw: the 128-bit key becomes HKDF-SHA256(scheme key, no salt, "chaos-henon:paper key 1").
  auto redrawn = crypto::hkdf_sha256(key.key.span(), ByteView{}, std::string_view("chaos-henon:paper key 1"), 16);
  ASSERT_TRUE(redrawn);
  schemes::SchemeKey expected_key = kat_key();
  std::copy(redrawn->data(), redrawn->data() + 16, expected_key.key.data());
  std::uint8_t x = 0, y = 0;  // eq. 2-3 on the redrawn key, by hand
  for (int i = 0; i < 8; ++i) {
    x ^= (*redrawn).data()[i];
    y ^= (*redrawn).data()[8 + i];
  }
  ASSERT_TRUE(chaos::HenonStream({1.4, 0.3, x / 256.0, y / 256.0, 10000}).finite())
      << "pick another diverging key: this one's first redraw diverges too";
  auto paper = make("paper");
  auto img = lcg_image(16, 9, 1, 1, 8);
  EXPECT_EQ(cipher_of(*paper, img, key), cipher_of(*paper, img, expected_key));
  auto sealed = paper->encode(img, key);
  ASSERT_TRUE(sealed);
  auto back = paper->decode(PixelBytes(sealed->bytes().begin(), sealed->bytes().end()), img.geometry(), key);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, img);
}

TEST(Parameters, AreValidated) {
  EXPECT_EQ(schemes::make_chaos_henon({{"rounds", "0"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon({{"block", "1"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon({{"rounds", "2x"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon({{"colour", "red"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon_paper({{"rounds", "2"}}).error().code, ErrorCode::kUsage);
  auto s = schemes::make_chaos_henon({{"rounds", "3"}, {"block", "16"}});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->params(), "block=16;rounds=3");
  EXPECT_EQ((*s)->info().key_space_bits, 256);
  EXPECT_EQ(schemes::make_chaos_henon({{"rounds", "1"}}).value()->info().key_space_bits, 222);
  EXPECT_EQ(schemes::make_chaos_henon({}).value()->params(), "block=32;rounds=1");
}

}  // namespace
}  // namespace medcrypt::test
