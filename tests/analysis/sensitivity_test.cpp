// Test mode and the sensitivity experiments: one sample changed, one key bit flipped, deterministic
// encryption, and both key-sensitivity decryption paths (the reader's refusal for `aead`; the scheme's
// own decoder under the wrong key for an authenticate-only scheme).
#include <gtest/gtest.h>

#include "analysis/analyze.hpp"
#include "analysis/sensitivity.hpp"
#include "analysis/test_mode.hpp"
#include "metrics/channel.hpp"
#include "xor_test_scheme.hpp"

namespace medcrypt::test {
namespace {

image::Image test_image(std::uint8_t bits = 8, std::uint8_t samples = 1, bool is_signed = false) {
  image::Geometry g{96, 80, 1, samples, static_cast<std::uint8_t>(bits > 8 ? 16 : 8), bits, is_signed,
                    samples == 3 ? "RGB" : "MONOCHROME2"};
  image::Image img = image::Image::create(g).value();
  for (std::size_t i = 0; i < g.sample_count(); ++i) img.set_word(i, static_cast<std::uint32_t>((i * 31 + i / 96) % g.max_value()));
  return img;
}

std::vector<std::size_t> differing_samples(const image::Image& a, const image::Image& b) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < a.geometry().sample_count(); ++i) {
    if (a.word(i) != b.word(i)) out.push_back(i);
  }
  return out;
}

TEST(ChangeOneSample, MovesExactlyOneSampleByOneLevel) {
  for (auto [bits, is_signed] : {std::pair{8, false}, std::pair{16, false}, std::pair{12, true}, std::pair{16, true}}) {
    SCOPED_TRACE(testing::Message() << bits << (is_signed ? " signed" : ""));
    const image::Image plain = test_image(static_cast<std::uint8_t>(bits), 3, is_signed);
    const analysis::ChangedSample changed = analysis::change_one_sample(plain, 11);
    const auto diff = differing_samples(plain, changed.image);
    ASSERT_EQ(diff.size(), 1u);
    EXPECT_EQ(diff[0], changed.index);
    const auto& g = plain.geometry();
    const int before = metrics::sample_value(plain.word(diff[0]), g);
    const int after = metrics::sample_value(changed.image.word(diff[0]), g);
    EXPECT_EQ(std::abs(after - before), 1);
    EXPECT_EQ(analysis::change_one_sample(plain, 11).index, changed.index);
    EXPECT_NE(analysis::change_one_sample(plain, 12).index, changed.index);
  }
}

TEST(ChangeOneSample, StepsDownFromTheTopAndWrapsSignedWordsCorrectly) {
  image::Geometry g{1, 1, 1, 1, 8, 8, false, "MONOCHROME2"};
  image::Image top = image::Image::create(g).value();
  top.set_word(0, 255);
  EXPECT_EQ(analysis::change_one_sample(top, 1).image.word(0), 254u);
  g = {1, 1, 1, 1, 16, 12, true, "MONOCHROME2"};
  image::Image signed_image = image::Image::create(g).value();
  signed_image.set_word(0, 0x07FF);  // +2047, the largest 12-bit value
  EXPECT_EQ(analysis::change_one_sample(signed_image, 1).image.word(0), 0x07FEu);
  signed_image.set_word(0, 0xFFFF);  // -1 -> 0
  EXPECT_EQ(analysis::change_one_sample(signed_image, 1).image.word(0), 0x0000u);
}

TEST(FlipOneBit, FlipsExactlyTheBitItNames) {
  const SecretBytes key(std::vector<std::uint8_t>(32, 0xA5));
  const analysis::FlippedKey flipped = analysis::flip_one_bit(key, 4);
  ASSERT_LT(flipped.bit, 256u);
  int differing_bits = 0;
  for (std::size_t i = 0; i < 32; ++i) differing_bits += std::popcount(static_cast<unsigned>(key.data()[i] ^ flipped.key.data()[i]));
  EXPECT_EQ(differing_bits, 1);
  EXPECT_NE(key.data()[flipped.bit / 8], flipped.key.data()[flipped.bit / 8]);
}

TEST(TestMode, IsDeterministicPerSeed) {
  const image::Image plain = test_image();
  const auto scheme = schemes::builtin_registry().create("aead").value();
  const analysis::TestModeSetup a = analysis::test_mode_setup(5).value();
  const analysis::TestModeSetup b = analysis::test_mode_setup(6).value();
  const auto first = analysis::encrypt_test_mode(plain, *scheme, a.shared_key, a.fixed).value();
  const auto again = analysis::encrypt_test_mode(plain, *scheme, a.shared_key, a.fixed).value();
  const auto other = analysis::encrypt_test_mode(plain, *scheme, b.shared_key, b.fixed).value();
  EXPECT_EQ(first.container, again.container);
  EXPECT_EQ(first.cipher, again.cipher);
  EXPECT_NE(first.cipher, other.cipher);
  EXPECT_EQ(first.cipher.geometry().bits_stored, 8);
}

TEST(Sensitivity, AeadChangesOneCipherSampleAndRefusesTheFlippedKey) {
  const image::Image plain = test_image(16, 1, true);
  const auto scheme = schemes::builtin_registry().create("aead").value();
  const analysis::TestModeSetup setup = analysis::test_mode_setup(1).value();
  const auto reference = analysis::encrypt_test_mode(plain, *scheme, setup.shared_key, setup.fixed).value();

  const auto pt = analysis::plaintext_sensitivity(plain, reference, *scheme, setup, 3).value();
  EXPECT_EQ(pt.cipher.overall.sums.differing, 1u);  // a stream cipher: no diffusion
  EXPECT_EQ(pt.cipher.max_value, 65535u);           // cipher words fill the 16-bit word

  const auto key = analysis::key_sensitivity(plain, reference, *scheme, schemes::builtin_registry(), setup, 4).value();
  EXPECT_GT(key.cipher.overall.differential.npcr, 99.0);  // another key: another keystream
  ASSERT_FALSE(key.decrypt.comparison);
  ASSERT_TRUE(key.decrypt.rejected);
  EXPECT_EQ(key.decrypt.rejected->code, ErrorCode::kWrongKey);
}

TEST(Sensitivity, AuthenticateOnlySchemeIsDecodedUnderTheFlippedKey) {
  const schemes::SchemeRegistry registry = registry_with_xor_test_scheme();
  const auto scheme = registry.create("xor-test").value();
  const image::Image plain = test_image(8, 3);
  const analysis::TestModeSetup setup = analysis::test_mode_setup(1).value();
  const auto reference = analysis::encrypt_test_mode(plain, *scheme, setup.shared_key, setup.fixed).value();

  // The bypass itself: under the right key it gives the plain image back.
  EXPECT_EQ(analysis::decode_bypassing_integrity(reference, *scheme, setup.shared_key).value(), plain);

  const auto key = analysis::key_sensitivity(plain, reference, *scheme, registry, setup, 4).value();
  EXPECT_FALSE(key.decrypt.rejected);
  ASSERT_TRUE(key.decrypt.comparison);
  // A wrong keystream: the wrongly decrypted image looks like noise next to the plain one.
  EXPECT_GT(key.decrypt.comparison->overall.differential.npcr, 99.0);
  EXPECT_LT(key.decrypt.comparison->overall.ssim, 0.1);
  EXPECT_EQ(key.decrypt.comparison->channels.size(), 3u);
}

TEST(Analyze, RunsAnAuthenticateOnlySchemeFromATestRegistry) {
  const schemes::SchemeRegistry registry = registry_with_xor_test_scheme();
  const auto scheme = registry.create("xor-test").value();
  image::LoadedImage loaded;
  loaded.image = test_image(12, 1);
  analysis::AnalyzeOptions options;
  options.threads = 1;
  const analysis::ImageAnalysis a = analysis::analyze_image(loaded, "x.png", *scheme, registry, options).value();
  EXPECT_EQ(a.scheme, "xor-test");
  EXPECT_EQ(a.key_space_bits, 128);
  EXPECT_EQ(a.plain.max_value, 4095u);
  EXPECT_EQ(a.cipher.max_value, 65535u);
  EXPECT_EQ(a.quality.overall.error.mse, 0);  // the real reader, the right key
  ASSERT_TRUE(a.key_sensitivity.decrypt.comparison);
  EXPECT_EQ(a.key_sensitivity.decrypt.comparison->max_value, 4095u);  // plain geometry: 12 bits stored
  EXPECT_GT(a.timing.encrypt_ms, 0);
  EXPECT_EQ(a.timing.runs, 5u);
  bool bypass_note = false;
  for (const auto& note : a.notes) bypass_note |= note.find("bypassing the container's integrity layer") != std::string::npos;
  EXPECT_TRUE(bypass_note);
}

// A scheme that claims no cipher image is measured by what it decrypts: no cipher statistics, no
// sensitivity, a note that says why.
TEST(Analyze, MeasuresASchemeWithoutCipherImageByItsDecryption) {
  const schemes::SchemeRegistry registry = registry_with_xor_test_scheme();
  const auto scheme = registry.create("xor-test", {{"cipher_image", "no"}}).value();
  image::LoadedImage loaded;
  loaded.image = test_image();
  auto a = analysis::analyze_image(loaded, "x.png", *scheme, registry, {});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->cipher_image);
  EXPECT_TRUE(a->cipher.channels.empty());
  EXPECT_FALSE(a->plain.channels.empty());
  EXPECT_EQ(a->quality.overall.sums.differing, 0u);  // the test scheme is lossless
  EXPECT_TRUE(a->thumbnails.cipher.empty());
  EXPECT_FALSE(a->thumbnails.decrypted.empty());
  ASSERT_EQ(a->notes.size(), 1u);
  EXPECT_EQ(a->notes[0].rfind("no cipher image: 'xor-test'", 0), 0u) << a->notes[0];
}

}  // namespace
}  // namespace medcrypt::test
