// `medcrypt roi`, `train roi` and `eval roi` end to end: the mask PNG has the image's size and only the
// values 0 and 255; a missing file, a non-image, an RGB image and a weights file of another network each
// fail with one line and leave no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "image/image_file.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::filesystem::path kLungSet = "train/montgomery_lung_cxr";

void expect_mask_of(const std::filesystem::path& mask_file, const std::filesystem::path& image_file) {
  auto mask = image::read_image_file(mask_file);
  auto img = image::read_image_file(image_file);
  ASSERT_TRUE(mask && img);
  EXPECT_EQ(mask->image.geometry().width, img->image.geometry().width);
  EXPECT_EQ(mask->image.geometry().height, img->image.geometry().height);
  EXPECT_EQ(mask->image.geometry().samples, 1);
  std::size_t on = 0, off = 0;
  for (std::size_t i = 0; i < mask->image.geometry().pixels_per_frame(); ++i) {
    const std::uint32_t v = mask->image.word(i);
    ASSERT_TRUE(v == 0 || v == 255) << v;
    (v == 255 ? on : off)++;
  }
  EXPECT_GT(on, 0u);
  EXPECT_GT(off, 0u);
}

void expect_one_line_failure(const ProcessResult& r, int code, const std::filesystem::path& out, const std::string& says = "") {
  EXPECT_EQ(r.exit_code, code) << r.out;
  EXPECT_NE(r.out.find(says), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(RoiCli, WritesAMaskOfTheImagesSizeWithOnly0And255) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto xray = shared_data() / kLungSet / "images" / "MCUCXR_0001_0.png";
  auto r = run_medcrypt("roi " + quote(xray) + " -o " + quote(dir / "m.png") + " --kind lung");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  expect_mask_of(dir / "m.png", xray);
  // Another size (1024x1024 X-ray of another set): the mask follows the image.
  const auto other = shared_data() / "png" / "00000001_000.png";
  r = run_medcrypt("roi " + quote(other) + " -o " + quote(dir / "m2.png") + " --model " +
                   quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models" / "roi-lung.weights"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  expect_mask_of(dir / "m2.png", other);
}

TEST(RoiCli, BadInputIsOneLineAndNoOutput) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto out = dir / "m.png";
  const auto xray = shared_data() / kLungSet / "images" / "MCUCXR_0001_0.png";
  expect_one_line_failure(run_medcrypt("roi " + quote(dir / "missing.png") + " -o " + quote(out) + " --kind lung"), 3, out);
  std::ofstream(dir / "text.png") << "not an image\n";
  auto r = run_medcrypt("roi " + quote(dir / "text.png") + " -o " + quote(out) + " --kind lung");
  EXPECT_NE(r.exit_code, 0);
  expect_one_line_failure(r, r.exit_code, out);
  expect_one_line_failure(run_medcrypt("roi " + quote(shared_data() / "png" / "retina_512.png") + " -o " + quote(out) + " --kind lung"), 5, out,
                          "takes grey images");
  const auto ae = std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models" / "ae-aes-gray.weights";
  expect_one_line_failure(run_medcrypt("roi " + quote(xray) + " -o " + quote(out) + " --model " + quote(ae)), 10, out,
                          "not the roi-unet ROI network");
  expect_one_line_failure(run_medcrypt("roi " + quote(xray) + " -o " + quote(out) + " --kind retina"), 5, out,
                          "no ROI network for the image kind 'retina'");
  expect_one_line_failure(run_medcrypt("roi " + quote(xray) + " -o " + quote(out)), 2, out);
}

TEST(RoiCli, TrainAndEvalEndToEnd) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  auto r = run_medcrypt("train roi --data " + quote(shared_data() / kLungSet) + " --kind lung --epochs 1 --side 32 --base 8 "
                        "--limit 10 --threads 1 --out " + quote(dir / "w.weights"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("10 held out"), std::string::npos) << r.out;  // --limit caps each split
  r = run_medcrypt("eval roi --model " + quote(dir / "w.weights") + " --data " + quote(shared_data() / kLungSet) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"], "lung");
  EXPECT_EQ(j["test_images"], 23);
  EXPECT_GE(j["baseline"]["dice"].get<double>(), 0.0);
  EXPECT_LE(j["network"]["dice"].get<double>(), 1.0);
  r = run_medcrypt("train roi --data " + quote(shared_data() / kLungSet) + " --kind lung --epochs 1 --side 30 --out " +
                   quote(dir / "x.weights"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.weights"));
}

}  // namespace
}  // namespace medcrypt::test
