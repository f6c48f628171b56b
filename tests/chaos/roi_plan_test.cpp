// chaos-henon with a region-of-interest network (paper 000's partition by ROI): the plan the network makes
// travels sealed in the payload, so the recipient decrypts bit for bit without the plain image or the
// network; an image no network was trained for falls back to the key-driven plan and says so.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "chaos/permutation.hpp"
#include "core/file_io.hpp"
#include "chaos/planner.hpp"
#include "crypto/hash.hpp"
#include "image/image_file.hpp"
#include "schemes/chaos_henon.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

schemes::SchemeKey test_key() {
  auto k = crypto::sha256(as_bytes("roi plan test key"));
  auto m = crypto::sha256(as_bytes("roi plan test message id"));
  return {SecretBytes(k), Bytes(m.begin(), m.begin() + 16)};
}

std::unique_ptr<schemes::Scheme> chaos(const schemes::SchemeParams& params) {
  auto s = schemes::make_chaos_henon(params);
  EXPECT_TRUE(s) << s.error().message;
  return std::move(s).value();
}

std::unique_ptr<schemes::Scheme> paper(const schemes::SchemeParams& params) {
  auto s = schemes::make_chaos_henon_paper(params);
  EXPECT_TRUE(s) << s.error().message;
  return std::move(s).value();
}

image::Image chest_xray() {
  auto loaded = image::read_image_file(shared_data() / "png/00000001_000.png");
  EXPECT_TRUE(loaded) << loaded.error().message;
  return std::move(loaded->image);
}

image::Image cipher_image(const schemes::Payload& payload, const image::Geometry& g) {
  const auto bytes = payload.bytes().first(g.byte_size());
  return image::Image::from_bytes(g, PixelBytes(bytes.begin(), bytes.end())).value();
}

// The first sample where `light` is `want`, from `from` on.
std::size_t first_sample(const std::vector<std::uint8_t>& light, std::uint8_t want, std::size_t from) {
  for (std::size_t i = from; i < light.size(); ++i) {
    if (light[i] == want) return i;
  }
  ADD_FAILURE() << "no sample with light = " << int(want);
  return 0;
}

// Without regions of interest the ROI planner draws, and plans, what the key-driven planner does; with
// them the ROI blocks take the first destinations, each group in its own key-drawn order.
TEST(RoiPlanner, PutsTheRegionFirstAndIsTheKeyDrivenPlanWithoutOne) {
  const chaos::FrameShape shape{100, 130};  // 3 x 4 full blocks of 32
  chaos::HenonStream a({1.4, 0.3, 0.1, 0.2, 1000}), b = a;
  const std::vector<std::uint8_t> none(12, 0);
  auto roi_plan = chaos::RoiPlanner().plan({shape, 32, nullptr, 0, none}, a);
  auto key_plan = chaos::KeyDrivenPlanner().plan({shape, 32, nullptr, 0, {}}, b);
  ASSERT_TRUE(roi_plan && key_plan);
  EXPECT_EQ(roi_plan->order, key_plan->order);
  EXPECT_EQ(a.next32(), b.next32());

  const std::vector<std::uint8_t> flags = {0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1};
  auto plan = chaos::RoiPlanner().plan({shape, 32, nullptr, 0, flags}, a);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->order.size(), 12u);
  std::vector<std::uint32_t> first(plan->order.begin(), plan->order.begin() + 4), sorted = plan->order;
  std::ranges::sort(first);
  std::ranges::sort(sorted);
  EXPECT_EQ(first, (std::vector<std::uint32_t>{1, 4, 5, 11}));
  for (std::uint32_t i = 0; i < 12; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_EQ(plan->roi, flags);
  EXPECT_FALSE(chaos::RoiPlanner().plan({shape, 32, nullptr, 0, std::span(flags).first(5)}, a));
}

// A chest X-ray from another set than the lung network was trained on (NIH ChestX-ray14): the network marks its blocks, the plan is sealed after the
// cipher image, and decryption with the payload alone gives the image back bit for bit. A changed byte of
// the sealed plan is caught.
TEST(RoiScheme, LungPlanTravelsSealedAndDecryptsBitExactly) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto loaded = image::read_image_file(shared_data() / "png/00000001_000.png");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const image::Image& plain = loaded->image;
  auto with_roi = chaos({{"roi", "lung"}});
  const auto key = test_key();
  auto payload = with_roi->encode(plain, key);
  ASSERT_TRUE(payload) << payload.error().message;
  const std::uint64_t plan_bytes = (16 * 16 + 7) / 8 + 16;
  ASSERT_EQ(payload->bytes().size(), plain.bytes().size() + plan_bytes);
  ASSERT_EQ(payload->notes.size(), 1u);
  EXPECT_NE(payload->notes[0].find("the lung network marks"), std::string::npos) << payload->notes[0];
  // Lung fields cover a good part of a chest X-ray, never all of it.
  const auto marked = std::stoi(payload->notes[0].substr(payload->notes[0].find("marks ") + 6));
  EXPECT_GT(marked, 40);
  EXPECT_LT(marked, 220);

  PixelBytes bytes(payload->bytes().begin(), payload->bytes().end());
  auto back = with_roi->decode(bytes, plain.geometry(), key);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plain);
  // Another order than the key-driven plan's: the region of interest decided it.
  auto without = chaos({})->encode(plain, key);
  ASSERT_TRUE(without);
  EXPECT_FALSE(std::ranges::equal(payload->bytes().first(plain.bytes().size()), without->bytes()));

  bytes[plain.bytes().size() + 3] ^= 0x10;
  auto tampered = with_roi->decode(bytes, plain.geometry(), key);
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code, ErrorCode::kAuthentication);
  EXPECT_EQ(with_roi->decode(PixelBytes(plain.bytes().begin(), plain.bytes().end()), plain.geometry(), key).error().code,
            ErrorCode::kMalformed);
}

// A colour fundus photograph has no lung network: the plan is the key-driven one (the cipher image is
// exactly the one without a network), the note says so, and it still decrypts.
TEST(RoiScheme, AnImageNoNetworkTakesFallsBackAndSaysSo) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto loaded = image::read_image_file(shared_data() / "png/retina_512.png");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const image::Image& plain = loaded->image;
  const auto key = test_key();
  auto with_roi = chaos({{"roi", "lung"}});
  auto payload = with_roi->encode(plain, key);
  ASSERT_TRUE(payload) << payload.error().message;
  ASSERT_EQ(payload->notes.size(), 1u);
  EXPECT_NE(payload->notes[0].find("no lung region-of-interest network for this image"), std::string::npos);
  auto without = chaos({})->encode(plain, key);
  ASSERT_TRUE(without);
  EXPECT_TRUE(std::ranges::equal(payload->bytes().first(plain.bytes().size()), without->bytes()));
  auto back = with_roi->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), plain.geometry(), key);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plain);
}

// Every shared image (8- and 16-bit, grey and colour, multi-frame) round-trips bit for bit through each
// network's plan, in full and selective mode, and through the paper variant's; the colour ones by the
// fallback.
TEST(RoiScheme, EverySharedImageRoundTripsWithEitherNetwork) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const auto key = test_key();
  auto lung = chaos({{"roi", "lung"}}), brain = chaos({{"roi", "brain-tumour"}});
  auto lung_selective = chaos({{"roi", "lung"}, {"roi-mode", "selective"}});
  auto brain_selective = chaos({{"roi", "brain-tumour"}, {"roi-mode", "selective"}});
  auto paper_brain = paper({{"roi", "brain-tumour"}});
  int planned = 0, checked = 0;
  for (const auto& path : shared_images()) {
    SCOPED_TRACE(path.string());
    auto loaded = image::read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto& g = loaded->image.geometry();
    if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) continue;
    for (const auto* scheme :
         {lung.get(), brain.get(), lung_selective.get(), brain_selective.get(), paper_brain.get()}) {
      auto payload = scheme->encode(loaded->image, key);
      ASSERT_TRUE(payload) << payload.error().message;
      planned += std::ranges::any_of(payload->notes, [](const std::string& n) { return n.find("marks") != n.npos; });
      auto back = scheme->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), g, key);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_TRUE(*back == loaded->image);
      ++checked;
    }
  }
  EXPECT_GE(checked, 150);
  EXPECT_GE(planned, 75);  // the grey ones went through a network, not the fallback
}

// Selective mode: the network's blocks get the full cipher (a changed sample there changes the whole region
// and nothing else), every other sample only a keystream XOR (a changed sample there changes that sample
// alone); the payload names the lighter samples for `analyze`, and decryption is bit-exact.
TEST(RoiScheme, SelectiveModeCiphersTheRegionFullyAndTheBackgroundByXorOnly) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const image::Image plain = chest_xray();
  const auto& g = plain.geometry();
  const auto key = test_key();
  auto selective = chaos({{"roi", "lung"}, {"roi-mode", "selective"}});
  auto payload = selective->encode(plain, key);
  ASSERT_TRUE(payload) << payload.error().message;
  ASSERT_EQ(payload->notes.size(), 1u);
  EXPECT_NE(payload->notes[0].find("every other sample only a keystream XOR"), std::string::npos) << payload->notes[0];
  const auto marked = static_cast<std::size_t>(std::stoi(payload->notes[0].substr(payload->notes[0].find("marks ") + 6)));
  ASSERT_GT(marked, 40u);
  ASSERT_TRUE(payload->light);
  const std::vector<std::uint8_t> light = payload->light();
  ASSERT_EQ(light.size(), g.sample_count());
  EXPECT_EQ(static_cast<std::size_t>(std::ranges::count(light, 1)), g.sample_count() - marked * 32 * 32);
  auto back = selective->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), g, key);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plain);

  const image::Image cipher = cipher_image(*payload, g);
  auto differing = [&](const image::Image& other, std::uint8_t want) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < g.sample_count(); ++i) n += light[i] == want && cipher.word(i) != other.word(i);
    return n;
  };
  const std::size_t background = first_sample(light, 1, g.sample_count() / 2);
  image::Image changed = plain;
  changed.set_word(background, (changed.word(background) + 1) & 0xFF);
  auto c1 = selective->encode(changed, key);
  ASSERT_TRUE(c1);
  ASSERT_EQ(c1->light(), light);  // one grey level did not move the network's blocks
  const image::Image cipher1 = cipher_image(*c1, g);
  EXPECT_EQ(differing(cipher1, 1), 1u);
  EXPECT_EQ(differing(cipher1, 0), 0u);
  EXPECT_NE(cipher1.word(background), cipher.word(background));

  const std::size_t inside = first_sample(light, 0, g.sample_count() / 2);
  changed = plain;
  changed.set_word(inside, (changed.word(inside) + 1) & 0xFF);
  auto c2 = selective->encode(changed, key);
  ASSERT_TRUE(c2);
  ASSERT_EQ(c2->light(), light);
  const image::Image cipher2 = cipher_image(*c2, g);
  EXPECT_EQ(differing(cipher2, 1), 0u);
  EXPECT_GT(static_cast<double>(differing(cipher2, 0)), 0.99 * static_cast<double>(marked * 32 * 32));

  // The full mode of the same network: no sample is left to the lighter cipher.
  auto full = chaos({{"roi", "lung"}, {"roi-mode", "full"}})->encode(plain, key);
  ASSERT_TRUE(full);
  EXPECT_FALSE(full->light);
}

// Selective mode on an image no network takes: every full block gets the full cipher, and it says so.
TEST(RoiScheme, SelectiveModeWithoutANetworkCiphersEveryBlockFully) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto loaded = image::read_image_file(shared_data() / "png/retina_512.png");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const image::Image& plain = loaded->image;
  const auto key = test_key();
  auto selective = chaos({{"roi", "lung"}, {"roi-mode", "selective"}});
  auto payload = selective->encode(plain, key);
  ASSERT_TRUE(payload) << payload.error().message;
  ASSERT_EQ(payload->notes.size(), 1u);
  EXPECT_NE(payload->notes[0].find("every full block gets the full cipher"), std::string::npos) << payload->notes[0];
  ASSERT_TRUE(payload->light);
  const std::vector<std::uint8_t> light = payload->light();
  ASSERT_EQ(light.size(), plain.geometry().sample_count());
  EXPECT_EQ(std::ranges::count(light, 1), 0);  // 512 x 3 samples: full blocks cover every sample
  auto back = selective->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), plain.geometry(), key);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plain);
}

// chaos-henon:paper with the network (Algorithm 1 step 4.1): the network orders the blocks, the plan
// travels sealed, decryption is bit-exact.
TEST(RoiScheme, PaperVariantOrdersItsBlocksByTheNetwork) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const image::Image plain = chest_xray();
  const auto key = test_key();
  auto with_roi = paper({{"roi", "lung"}});
  auto payload = with_roi->encode(plain, key);
  ASSERT_TRUE(payload) << payload.error().message;
  ASSERT_EQ(payload->bytes().size(), plain.bytes().size() + (16 * 16 + 7) / 8 + 16);
  auto without = paper({})->encode(plain, key);
  ASSERT_TRUE(without);
  EXPECT_FALSE(std::ranges::equal(payload->bytes().first(plain.bytes().size()), without->bytes()));
  auto back = with_roi->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), plain.geometry(), key);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plain);
}

// The independent Python reference opens each sealed plan (AES-256-GCM under its HKDF key, with
// python3-cryptography) and encrypts the image again from the flags: full mode, selective mode and the
// paper variant. The image is the chest X-ray shrunk to 128 x 128 (4 x 4 blocks), so that plain Python
// is quick; the network still finds lungs there.
TEST(RoiScheme, ThePythonReferenceRebuildsEachCipherFromTheSealedPlan) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const image::Image big = chest_xray();
  image::Geometry g = big.geometry();
  g.width = g.height = 128;
  auto small = image::Image::create(g).value();
  for (std::uint32_t y = 0; y < 128; ++y) {
    for (std::uint32_t x = 0; x < 128; ++x) {
      unsigned sum = 0;
      for (std::uint32_t dy = 0; dy < 4; ++dy) {
        for (std::uint32_t dx = 0; dx < 4; ++dx) sum += big.word(std::size_t{y * 4 + dy} * 512 + x * 4 + dx);
      }
      small.set_word(std::size_t{y} * 128 + x, (sum + 8) / 16);
    }
  }
  auto k = crypto::sha256(as_bytes("chaos-henon kat key"));
  auto m = crypto::sha256(as_bytes("chaos-henon kat message id"));
  const schemes::SchemeKey kat_key{SecretBytes(k), Bytes(m.begin(), m.begin() + 16)};
  ScratchDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "plain.bin", small.bytes()));
  struct Case {
    std::string variant;
    std::unique_ptr<schemes::Scheme> scheme;
  };
  Case cases[] = {{"sound", chaos({{"roi", "lung"}})},
                  {"sound-selective", chaos({{"roi", "lung"}, {"roi-mode", "selective"}})},
                  {"paper", paper({{"roi", "lung"}})}};
  auto reference = [&](const std::string& variant, const std::string& payload_file) {
    return run_command(system_python() + " " +
                       quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/interop/chaos_henon_reference.py") +
                       " --roi " + variant + " " + quote(dir / "plain.bin") + " " + quote(dir / payload_file) +
                       " 128 128 1 1 8");
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.variant);
    auto payload = c.scheme->encode(small, kat_key);
    ASSERT_TRUE(payload) << payload.error().message;
    ASSERT_TRUE(write_file_atomic(dir / (c.variant + ".bin"), payload->bytes()));
    auto r = reference(c.variant, c.variant + ".bin");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("cipher image matches"), std::string::npos) << r.out;
    // Some blocks, not all: the plan shaped the cipher.
    const int flagged = std::stoi(r.out.substr(r.out.find(": ") + 2));
    EXPECT_GT(flagged, 0) << r.out;
    EXPECT_LT(flagged, 16) << r.out;
  }
  // The check can fail: the selective payload is not the full mode's cipher.
  auto wrong = reference("sound", "sound-selective.bin");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("cipher image DIFFERS"), std::string::npos) << wrong.out;
}

// Odd geometries (no full block, strips on both edges, 16-bit, colour, several frames) round-trip bit for
// bit with either network in both modes and through the paper variant's plan.
TEST(RoiScheme, OddGeometriesRoundTripInEveryMode) {
  struct G {
    std::uint32_t w, h, f;
    std::uint8_t s, bits;
  } geometries[] = {{1, 1, 1, 1, 8}, {7, 13, 1, 1, 8}, {511, 509, 1, 1, 8}, {64, 33, 1, 1, 16},
                    {45, 31, 1, 3, 8}, {130, 100, 5, 1, 16}, {96, 64, 2, 3, 16}};
  std::vector<std::unique_ptr<schemes::Scheme>> all;
  for (const char* kind : {"lung", "brain-tumour"}) {
    all.push_back(chaos({{"roi", kind}}));
    all.push_back(chaos({{"roi", kind}, {"roi-mode", "selective"}, {"rounds", "2"}, {"block", "16"}}));
    all.push_back(paper({{"roi", kind}}));
  }
  const auto key = test_key();
  std::uint32_t seed = 1;
  for (const auto& g : geometries) {
    auto img = image::Image::create({g.w, g.h, g.f, g.s, g.bits, g.bits, false, g.s == 3 ? "RGB" : "MONOCHROME2"}).value();
    for (std::size_t i = 0; i < img.geometry().sample_count(); ++i) {
      seed = seed * 1664525u + 1013904223u;
      img.set_word(i, (seed >> 8) & ((1u << g.bits) - 1));
    }
    for (const auto& scheme : all) {
      SCOPED_TRACE(fmt::format("{}x{}x{} samples {} bits {} {}", g.w, g.h, g.f, g.s, g.bits, scheme->params()));
      auto payload = scheme->encode(img, key);
      ASSERT_TRUE(payload) << payload.error().message;
      auto back = scheme->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), img.geometry(), key);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, img);
    }
  }
}

TEST(RoiScheme, ParametersAreValidatedAndNamed) {
  EXPECT_EQ(schemes::make_chaos_henon({{"roi", "heart"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon({{"roi-mode", "selective"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon({{"roi", "lung"}, {"roi-mode", "half"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon_paper({{"roi", "lung"}, {"roi-mode", "selective"}}).error().code,
            ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon_paper({{"rounds", "2"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::make_chaos_henon_paper_v1({{"roi", "lung"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(paper({{"roi", "lung"}})->params(), "roi=lung");
  EXPECT_EQ(paper({})->params(), "");
  const auto selective = chaos({{"roi", "lung"}, {"roi-mode", "selective"}});
  EXPECT_EQ(selective->params(), "block=32;roi=lung;roi-mode=selective;rounds=1");
  EXPECT_EQ(selective->full_cipher_params(), "block=32;roi=lung;rounds=1");
  EXPECT_EQ(chaos({{"roi", "lung"}, {"roi-mode", "full"}})->params(), "block=32;roi=lung;rounds=1");
  EXPECT_EQ(chaos({{"roi", "brain-tumour"}})->params(), "block=32;roi=brain-tumour;rounds=1");
  EXPECT_EQ(chaos({})->params(), "block=32;rounds=1");  // what containers without a network always said
}

}  // namespace
}  // namespace medcrypt::test
