// Attacks (src/attacks/): the known-plaintext attack recovers its target bit-exact from zigzag-gan:paper
// on grey, 16-bit signed, multi-frame and RGB images of ../shared/data, and recovers nothing from
// zigzag-gan, chaos-henon or aead; bad input; `medcrypt attack` end to end.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "attacks/attack.hpp"
#include "image/image_file.hpp"
#include "schemes/scheme.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const char* const kCtSlice = "train/ct_tcga_luad_128/ID_0005_AGE_0048_CONTRAST_1_CT.png";

image::Image shared_image(const std::string& relative) {
  auto loaded = image::read_image_file(shared_data() / relative);
  EXPECT_TRUE(loaded) << relative;
  return loaded ? std::move(loaded->image) : image::Image();
}

TEST(KnownPlaintext, RecoversTheTargetFromThePaperVariantWithOneQuery) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto scheme = schemes::builtin_registry().create("zigzag-gan:paper").value();
  for (const char* f : {kCtSlice, "dicom/MR_small.dcm", "dicom/emri_small.dcm", "png/VisibleWomanHeadSlice.png"}) {
    SCOPED_TRACE(f);
    const image::Image target = shared_image(f);
    auto r = attacks::run_attack("known-plaintext", *scheme, target);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->exact);
    EXPECT_EQ(r->recovered, target);
    EXPECT_EQ(r->queries, 1u);
    EXPECT_FALSE(std::isfinite(r->psnr));
  }
}

TEST(KnownPlaintext, RecoversNothingFromTheSoundSchemes) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const image::Image target = shared_image(kCtSlice);
  for (const char* name : {"zigzag-gan", "chaos-henon", "aead"}) {
    SCOPED_TRACE(name);
    auto scheme = schemes::builtin_registry().create(name).value();
    auto r = attacks::run_attack("known-plaintext", *scheme, target);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->exact);
    EXPECT_GT(r->npcr, 99.0);  // as far from the target as a random image (99.6 %)
    EXPECT_LT(r->psnr, 12.0);
  }
}

TEST(Attacks, BadInputGetsOneClearError) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const image::Image target = shared_image(kCtSlice);
  auto paper = schemes::builtin_registry().create("zigzag-gan:paper").value();
  EXPECT_EQ(attacks::run_attack("nonsense", *paper, target).error().code, ErrorCode::kUsage);
  auto no_cipher_image = schemes::builtin_registry().create("ae-aes").value();
  auto refused = attacks::run_attack("known-plaintext", *no_cipher_image, target);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("no cipher image"), std::string::npos);
  image::Geometry floats{8, 8, 1, 1, 32, 0, false, "MONOCHROME2"};
  auto aead = schemes::builtin_registry().create("aead").value();
  EXPECT_EQ(attacks::run_attack("known-plaintext", *aead, image::Image::create(floats).value()).error().code,
            ErrorCode::kUnsupported);
}

TEST(AttackCli, WritesTheRecoveredTargetAndReportsJson) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto out = dir / "recovered.png";
  auto r = run_medcrypt("attack known-plaintext --scheme zigzag-gan:paper --image " + quote(shared_data() / kCtSlice) +
                        " -o " + quote(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(json_keys(j), (std::set<std::string>{"attack", "scheme", "image", "queries", "seconds", "exact", "npcr",
                                                  "psnr", "notes", "output"}));
  EXPECT_TRUE(j["exact"].get<bool>());
  EXPECT_EQ(j["queries"].get<int>(), 1);
  EXPECT_TRUE(j["psnr"].is_null());
  auto written = image::read_image_file(out);
  ASSERT_TRUE(written);
  EXPECT_EQ(written->image, shared_image(kCtSlice));

  auto text = run_medcrypt("attack known-plaintext --scheme aead --image " + quote(shared_data() / kCtSlice));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("recovered: nothing"), std::string::npos) << text.out;

  const auto none = dir / "none.png";
  auto bad = run_medcrypt("attack nonsense --image " + quote(shared_data() / kCtSlice) + " -o " + quote(none));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_EQ(std::count(bad.out.begin(), bad.out.end(), '\n'), 1) << bad.out;
  auto lossy = run_medcrypt("attack known-plaintext --scheme ae-aes --image " + quote(shared_data() / kCtSlice) + " -o " +
                            quote(none));
  EXPECT_EQ(lossy.exit_code, 5) << lossy.out;
  EXPECT_EQ(std::count(lossy.out.begin(), lossy.out.end(), '\n'), 1) << lossy.out;
  EXPECT_FALSE(std::filesystem::exists(none));
}

}  // namespace
}  // namespace medcrypt::test
