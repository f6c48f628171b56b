// chaos-henon with a region-of-interest network (paper 000's partition by ROI): the plan the network makes
// travels sealed in the payload, so the recipient decrypts bit for bit without the plain image or the
// network; an image no network was trained for falls back to the key-driven plan and says so.
#include <gtest/gtest.h>

#include <algorithm>

#include "chaos/permutation.hpp"
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
// network's plan; the colour ones by the fallback.
TEST(RoiScheme, EverySharedImageRoundTripsWithEitherNetwork) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const auto key = test_key();
  auto lung = chaos({{"roi", "lung"}}), brain = chaos({{"roi", "brain-tumour"}});
  int planned = 0, checked = 0;
  for (const auto& path : shared_images()) {
    SCOPED_TRACE(path.string());
    auto loaded = image::read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto& g = loaded->image.geometry();
    if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) continue;
    for (const auto* scheme : {lung.get(), brain.get()}) {
      auto payload = scheme->encode(loaded->image, key);
      ASSERT_TRUE(payload) << payload.error().message;
      planned += std::ranges::any_of(payload->notes, [](const std::string& n) { return n.find("marks") != n.npos; });
      auto back = scheme->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), g, key);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_TRUE(*back == loaded->image);
      ++checked;
    }
  }
  EXPECT_GE(checked, 60);
  EXPECT_GE(planned, 30);  // the grey ones went through a network, not the fallback
}

TEST(RoiScheme, ParametersAreValidatedAndNamed) {
  EXPECT_EQ(schemes::make_chaos_henon({{"roi", "heart"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(chaos({{"roi", "brain-tumour"}})->params(), "block=32;roi=brain-tumour;rounds=1");
  EXPECT_EQ(chaos({})->params(), "block=32;rounds=1");  // what containers without a network always said
}

}  // namespace
}  // namespace medcrypt::test
