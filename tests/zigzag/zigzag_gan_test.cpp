// zigzag-gan (paper 001): the shipped ZZ-GAN generator's keys on images it never saw, the same key words
// whatever the thread count, `train keygen`, exact round trips over odd geometries and every shared
// image, decryption without the generator, the nonce, the speckle stage, bad input, and the analysis
// verdicts beside aead's. The known-plaintext attack that breaks the paper variant and not the sound one
// is tests/attacks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "crypto/hash.hpp"
#include "image/image_file.hpp"
#include "nn/keygen.hpp"
#include "schemes/zigzag_gan.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

schemes::SchemeKey key_for(const std::string& label, const std::string& message = "message 1") {
  auto k = crypto::sha256(as_bytes(label));
  auto m = crypto::sha256(as_bytes(message));
  return {SecretBytes(k), Bytes(m.begin(), m.begin() + 16)};
}

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

std::unique_ptr<schemes::Scheme> make(bool paper, const schemes::SchemeParams& params = {}) {
  auto s = paper ? schemes::make_zigzag_gan_paper(params) : schemes::make_zigzag_gan(params);
  EXPECT_TRUE(s) << s.error().message;
  return std::move(s).value();
}

image::Image cipher_of(const schemes::Scheme& s, const image::Image& i, const schemes::SchemeKey& k) {
  auto p = s.encode(i, k).value();
  return image::Image::from_bytes(i.geometry(), PixelBytes(p.bytes().begin(), p.bytes().begin() + i.geometry().byte_size()))
      .value();
}

Result<image::Image> round_trip(const schemes::Scheme& s, const image::Image& i, const schemes::SchemeKey& k) {
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::Payload p, s.encode(i, k));
  return s.decode(PixelBytes(p.bytes().begin(), p.bytes().end()), i.geometry(), k);
}

double fraction_differing(const image::Image& a, const image::Image& b) {
  std::size_t differ = 0, n = a.geometry().sample_count();
  for (std::size_t i = 0; i < n; ++i) differ += a.word(i) != b.word(i);
  return static_cast<double>(differ) / static_cast<double>(n);
}

// 8-bit entropy and |horizontal adjacent correlation| of a grey plane of words.
std::pair<double, double> statistics(const std::vector<std::uint32_t>& w, std::uint32_t width) {
  std::map<std::uint32_t, double> counts;
  for (auto v : w) counts[v] += 1;
  double entropy = 0;
  for (auto& [v, c] : counts) entropy -= c / w.size() * std::log2(c / w.size());
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if ((i + 1) % width == 0) continue;
    const double a = w[i], b = w[i + 1];
    sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b, n += 1;
  }
  const double cov = sab / n - sa / n * sb / n;
  const double r = cov / std::sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
  return {entropy, std::abs(r)};
}

// The generator's 8-bit key of a grey image's centred 128 x 128 crop.
std::vector<std::uint32_t> key_of(const nn::KeyGenerator& g, const image::Image& img) {
  const nn::GreyPlane p = nn::keygen_plane(img).value();
  const std::uint32_t side = 128, y0 = (p.height - side) / 2, x0 = (p.width - side) / 2;
  std::vector<float> crop;
  for (std::uint32_t y = 0; y < side; ++y) {
    crop.insert(crop.end(), p.values.begin() + (y0 + y) * p.width + x0, p.values.begin() + (y0 + y) * p.width + x0 + side);
  }
  const auto v = g.generate(crop, side, side).value();
  std::vector<std::uint32_t> words;
  for (double x : v) words.push_back(nn::key_word(x, 8));
  return words;
}

std::vector<std::uint32_t> words_of(const image::Image& img) {
  const nn::GreyPlane p = nn::keygen_plane(img).value();
  const std::uint32_t side = 128, y0 = (p.height - side) / 2, x0 = (p.width - side) / 2;
  std::vector<std::uint32_t> w;
  for (std::uint32_t y = 0; y < side; ++y) {
    for (std::uint32_t x = 0; x < side; ++x) w.push_back(nn::key_word(p.values[(y0 + y) * p.width + x0 + x], 8));
  }
  return w;
}

// Grey images of ../shared/data the generator was never trained on (it saw train/ only).
std::vector<image::Image> unseen_grey_images() {
  std::vector<image::Image> out;
  for (const char* f : {"dicom/CT1_UNC.explicit_little_endian.dcm", "dicom/MR1_UNC.dcm", "png/00000001_000.png",
                        "dicom/ID_0000_AGE_0060_CONTRAST_1_CT.dcm", "png/MR1_brain_512.png"}) {
    auto loaded = image::read_image_file(shared_data() / f);
    EXPECT_TRUE(loaded) << f;
    if (!loaded) continue;
    image::Image img = std::move(loaded->image);
    if (img.geometry().is_signed) {  // the training loader offsets signed samples; so does this
      image::Geometry g = img.geometry();
      g.is_signed = false;
      auto u = image::Image::create(g).value();
      for (std::size_t i = 0; i < g.sample_count(); ++i) u.set_word(i, (img.word(i) + 32768) & 0xffff);
      img = std::move(u);
    }
    out.push_back(std::move(img));
  }
  return out;
}

TEST(KeyGenerator, ShippedModelTurnsUnseenImagesIntoNoiseAndAFreshOneDoesNot) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto shipped = nn::KeyGenerator::shipped();
  ASSERT_TRUE(shipped) << shipped.error().message;
  auto fresh = nn::KeyGenerator::fresh(shipped->config(), 7);
  ASSERT_TRUE(fresh);
  const auto images = unseen_grey_images();
  ASSERT_EQ(images.size(), 5u);
  for (const auto& img : images) {
    const auto [plain_entropy, plain_r] = statistics(words_of(img), 128);
    const auto [key_entropy, key_r] = statistics(key_of(*shipped, img), 128);
    const auto [fresh_entropy, fresh_r] = statistics(key_of(*fresh, img), 128);
    EXPECT_GT(plain_r, 0.8);  // a medical image's neighbours are alike
    EXPECT_GT(key_entropy, 7.9);  // 16384 words: 7.99 is the most a uniform sample reaches
    EXPECT_LT(key_r, 0.1);
    EXPECT_TRUE(fresh_entropy < 7.5 || fresh_r > 0.3) << "an untrained generator already made noise: " << fresh_entropy
                                                      << " bits, r = " << fresh_r;
  }
}

TEST(KeyGenerator, KeyWordsDoNotDependOnTheThreadCountAndAnySizeWorks) {
  auto g = nn::KeyGenerator::shipped();
  ASSERT_TRUE(g) << g.error().message;
  for (auto [h, w] : {std::pair{1u, 1u}, {5u, 7u}, {1u, 40u}, {130u, 300u}}) {
    std::vector<float> seed(std::size_t{h} * w);
    std::uint64_t s = h * 7919 + w;
    for (auto& v : seed) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      v = static_cast<float>((s >> 56) / 127.5 - 1.0);
    }
    const auto one = g->generate(seed, h, w, 1), two = g->generate(seed, h, w, 2);
    ASSERT_TRUE(one && two);
    ASSERT_EQ(one->size(), seed.size());
    for (std::size_t i = 0; i < one->size(); ++i) {
      ASSERT_TRUE(std::abs((*one)[i]) <= 1.0);
      ASSERT_EQ(nn::key_word((*one)[i], 16), nn::key_word((*two)[i], 16)) << h << "x" << w << " at " << i;
    }
  }
}

// `medcrypt train keygen` on a handful of CT slices for a few steps: a weights file the scheme's loader
// takes, with its training record; bad options get one line and a non-zero exit, and no file.
TEST(TrainKeygen, TinyRunWritesALoadableGeneratorAndBadOptionsAreRefused) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto data = shared_data() / "train/ct_tcga_luad_128";
  const auto out = dir / "keygen.weights";
  auto r = run_medcrypt("train keygen --data " + quote(data) + " --limit 12 --epochs 2 --steps 3 --base 4 --blocks 1 "
                        "--crop 32 --batch 2 --threads 1 --out " + quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("held-out key entropy"), std::string::npos) << r.out;
  auto generator = nn::KeyGenerator::load(out);
  ASSERT_TRUE(generator) << generator.error().message;
  EXPECT_EQ(generator->config().base_channels, 4);
  EXPECT_EQ(generator->config().res_blocks, 1);
  const auto record = nlohmann::json::parse(generator->training_json());
  EXPECT_EQ(record.at("epochs").size(), 2u);
  EXPECT_EQ(record.at("train_images").get<int>() + record.at("held_out_images").get<int>(), 12);

  for (const std::string bad : {"--crop 30", "--base 2", "--blocks 0", "--noise-share 2", "--threads -1"}) {
    const auto bad_out = dir / "bad.weights";
    auto b = run_medcrypt("train keygen --data " + quote(data) + " --limit 12 --epochs 1 --steps 1 " + bad + " --out " +
                          quote(bad_out));
    EXPECT_NE(b.exit_code, 0) << bad;
    EXPECT_EQ(std::count(b.out.begin(), b.out.end(), '\n'), 1) << b.out;
    EXPECT_FALSE(std::filesystem::exists(bad_out)) << bad;
  }
  auto none = run_medcrypt("train keygen --data " + quote(dir / "missing") + " --epochs 1 --out " + quote(dir / "x.weights"));
  EXPECT_NE(none.exit_code, 0);
  EXPECT_EQ(std::count(none.out.begin(), none.out.end(), '\n'), 1) << none.out;
}

class ZigzagGanRoundTrip : public ::testing::TestWithParam<std::tuple<bool, int>> {};

TEST_P(ZigzagGanRoundTrip, OddGeometries) {
  auto [paper, which] = GetParam();
  struct G {
    std::uint32_t w, h, f;
    std::uint8_t s, bits;
  } geometries[] = {{1, 1, 1, 1, 8},   {7, 13, 1, 1, 8},  {300, 270, 1, 1, 8}, {64, 33, 1, 1, 16},
                    {45, 31, 1, 3, 8}, {30, 20, 5, 1, 16}, {96, 64, 2, 3, 16}, {1, 37, 1, 3, 8},
                    {1, 20, 2, 3, 16}};  // the last two one pixel wide, RGB: a row's step is a column's
  const auto& g = geometries[which];
  auto img = lcg_image(g.w, g.h, g.f, g.s, g.bits);
  auto scheme = make(paper);
  auto back = round_trip(*scheme, img, key_for("odd"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, img);
  if (img.geometry().sample_count() > 16) {
    EXPECT_GT(fraction_differing(cipher_of(*scheme, img, key_for("odd")), img), 0.9);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, ZigzagGanRoundTrip, ::testing::Combine(::testing::Bool(), ::testing::Range(0, 9)));

TEST(ZigzagGan, EverySharedImageRoundTripsExactly) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto images = shared_images();
  ASSERT_GE(images.size(), 30u);
  auto sound = make(false), paper = make(true);
  for (const auto& path : images) {
    SCOPED_TRACE(path.string());
    auto loaded = image::read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    for (const auto* scheme : {sound.get(), paper.get()}) {
      auto back = round_trip(*scheme, loaded->image, key_for("shared"));
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_TRUE(*back == loaded->image);
    }
  }
}

// `medcrypt analyze`'s verdicts at the 0.01 level on the cipher image (chi-square, local entropy) and on
// key sensitivity (NPCR, UACI): the sound variant passes as many as aead on CT, MR, X-ray and RGB images.
TEST(ZigzagGan, SoundCipherImagesPassTheAnalysisAtTheRateOfAead) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  std::map<std::string, int> passes, checks;
  for (const char* scheme : {"aead", "zigzag-gan"}) {
    std::string args = std::string("analyze -q --scheme ") + scheme + " --csv " + quote(dir / (std::string(scheme) + ".csv"));
    for (const char* f : {"dicom/CT1_UNC.explicit_little_endian.dcm", "dicom/MR1_UNC.dcm", "png/00000001_000.png",
                          "dicom/US1_UNCR.dcm"}) {
      args += " " + quote(shared_data() / f);
    }
    auto r = run_medcrypt(args);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    std::ifstream csv(dir / (std::string(scheme) + ".csv"));
    std::string line;
    std::getline(csv, line);
    const auto split = [](const std::string& text) {
      std::vector<std::string> cells;
      std::stringstream ss(text);
      for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
      return cells;
    };
    const auto header = split(line);
    int rows = 0;
    while (std::getline(csv, line)) {
      ++rows;
      const auto cells = split(line);
      for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) {
        const bool verdict = header[i].find("_pass.0.01") != std::string::npos &&
                             (header[i].rfind("cipher.", 0) == 0 || header[i].rfind("key_sensitivity.cipher.", 0) == 0);
        if (!verdict || cells[i].empty()) continue;
        checks[scheme] += 1;
        passes[scheme] += cells[i] == "true";
      }
    }
    EXPECT_EQ(rows, 4);
  }
  ASSERT_GT(checks["aead"], 20);
  EXPECT_EQ(checks["zigzag-gan"], checks["aead"]);
  EXPECT_GE(passes["zigzag-gan"], passes["aead"]) << "aead passed " << passes["aead"] << " of " << checks["aead"];
}

TEST(ZigzagGan, OnlyTheSoundVariantChangesWithTheNonce) {
  auto img = lcg_image(64, 64, 1, 1, 8);
  for (bool paper : {false, true}) {
    auto s = make(paper);
    const auto a = cipher_of(*s, img, key_for("k", "message 1")), b = cipher_of(*s, img, key_for("k", "message 2"));
    if (paper) {
      EXPECT_EQ(a, b) << "the paper variant has no nonce";
    } else {
      EXPECT_GT(fraction_differing(a, b), 0.99);
    }
  }
}

TEST(ZigzagGan, SpeckleStageIsLossyAndSaysSo) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto img = image::read_image_file(shared_data() / "png/MR1_brain_512.png");
  ASSERT_TRUE(img);
  auto s = make(false, {{"speckle", "0.04"}});
  EXPECT_FALSE(s->info().lossless);
  EXPECT_NE(s->params().find("speckle=0.04"), std::string::npos);
  auto payload = s->encode(img->image, key_for("speckle"));
  ASSERT_TRUE(payload) << payload.error().message;
  ASSERT_EQ(payload->notes.size(), 1u);
  EXPECT_NE(payload->notes[0].find("LOSSY"), std::string::npos);
  auto back = s->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), img->image.geometry(), key_for("speckle"));
  ASSERT_TRUE(back);
  EXPECT_NE(*back, img->image);
  EXPECT_LT(fraction_differing(*back, img->image), 1.0);
  // A signed image has no intensity scale for multiplicative noise.
  auto ct = image::read_image_file(shared_data() / "dicom/CT_small.dcm");
  ASSERT_TRUE(ct);
  auto refused = s->encode(ct->image, key_for("speckle"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("signed"), std::string::npos);
}

TEST(ZigzagGan, BadInputGetsOneClearError) {
  EXPECT_EQ(schemes::make_zigzag_gan({{"speckle", "abc"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_zigzag_gan({{"speckle", "5"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_zigzag_gan({{"keygen", "abc"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_zigzag_gan_paper({{"rounds", "2"}}).error().code, ErrorCode::kUsage);
  auto img = lcg_image(40, 30, 1, 1, 8);
  // A container naming another generator still decrypts (the key image travels sealed), but nothing can
  // be encrypted in its name.
  auto other = schemes::make_zigzag_gan({{"keygen", std::string(64, 'a')}});
  ASSERT_TRUE(other) << other.error().message;
  auto refused_encrypt = (*other)->encode(img, key_for("bad"));
  ASSERT_FALSE(refused_encrypt);
  EXPECT_EQ(refused_encrypt.error().code, ErrorCode::kVersion);

  auto s = make(false);
  auto payload = s->encode(img, key_for("bad")).value();
  PixelBytes bytes(payload.bytes().begin(), payload.bytes().end());
  EXPECT_EQ(bytes.size(), img.geometry().byte_size() + 30u * 40u + 16u);  // cipher image, key image, tag
  EXPECT_EQ(s->decode(PixelBytes(bytes.begin(), bytes.end() - 1), img.geometry(), key_for("bad")).error().code,
            ErrorCode::kMalformed);
  PixelBytes tampered = bytes;
  tampered[img.geometry().byte_size() + 5] ^= 1;  // a word of the sealed key image
  auto refused = s->decode(tampered, img.geometry(), key_for("bad"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAuthentication);
  EXPECT_EQ(s->decode(bytes, img.geometry(), key_for("other key")).error().code, ErrorCode::kAuthentication);

  image::Geometry floats{8, 8, 1, 1, 32, 0, false, "MONOCHROME2"};
  EXPECT_EQ(s->encode(image::Image::create(floats).value(), key_for("bad")).error().code, ErrorCode::kUnsupported);
}

TEST(ZigzagGan, DecryptingNeedsNoGeneratorEncryptingDoes) {
  auto img = lcg_image(150, 140, 2, 1, 16);
  auto s = make(true);
  auto payload = s->encode(img, key_for("no model")).value();
  const schemes::SchemeParams header = schemes::parse_params(s->params()).value();
  ScratchDir empty;
  ::setenv("MEDCRYPT_MODELS", empty.path().c_str(), 1);
  auto missing = schemes::make_zigzag_gan({});
  auto reader = schemes::make_zigzag_gan_paper(header);
  ::unsetenv("MEDCRYPT_MODELS");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(missing.error().message.find("docs/MODELS.md"), std::string::npos);
  ASSERT_TRUE(reader) << reader.error().message;
  auto cannot = (*reader)->encode(img, key_for("no model"));  // made without a generator: says why
  ASSERT_FALSE(cannot);
  EXPECT_EQ(cannot.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(cannot.error().message.find("is missing"), std::string::npos) << cannot.error().message;
  auto back = (*reader)->decode(PixelBytes(payload.bytes().begin(), payload.bytes().end()), img.geometry(), key_for("no model"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, img);
}

}  // namespace
}  // namespace medcrypt::test
