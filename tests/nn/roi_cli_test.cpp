// `medcrypt roi`, `train roi` and `eval roi` end to end: the mask PNG has the image's size and only the
// values 0 and 255; a missing file, a non-image, an RGB image and a weights file of another network each
// fail with one line and leave no output file. `encrypt --roi` and `analyze --roi` with the networks.
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

// `encrypt --roi selective --roi-network lung` seals a container that decrypts bit for bit; bad --roi
// options are one line, exit 2, and no container.
TEST(RoiCli, EncryptWithRoiOptions) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto xray = shared_data() / "png" / "00000001_000.png";
  ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "k.key")).exit_code, 0);
  const std::string key = " --key " + quote(dir / "k.key");
  for (const std::string mode : {"full", "selective"}) {
    SCOPED_TRACE(mode);
    const auto mct = dir / (mode + ".mct"), back = dir / (mode + ".png");
    auto r = run_medcrypt("encrypt " + quote(xray) + " -o " + quote(mct) + key +
                          " --scheme chaos-henon --roi " + mode + " --roi-network lung");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find(mode == "full" ? "they come first in the block order" : "only a keystream XOR"),
              std::string::npos) << r.out;
    r = run_medcrypt("decrypt " + quote(mct) + " -o " + quote(back) + key);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto a = image::read_image_file(xray), b = image::read_image_file(back);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->image, b->image);
  }
  const auto out = dir / "bad.mct";
  const std::string enc = "encrypt " + quote(xray) + " -o " + quote(out) + key + " --scheme chaos-henon";
  expect_one_line_failure(run_medcrypt(enc + " --roi selective"), 2, out, "--roi needs --roi-network");
  expect_one_line_failure(run_medcrypt(enc + " --roi half --roi-network lung"), 2, out, "--roi must be full or selective");
  expect_one_line_failure(run_medcrypt(enc + " --roi full --roi-network heart"), 2, out, "roi must be lung or brain-tumour");
  expect_one_line_failure(run_medcrypt(enc + " --roi full --roi-network lung --scheme-params roi=lung"), 2, out,
                          "not both");
  expect_one_line_failure(run_medcrypt("encrypt " + quote(xray) + " -o " + quote(out) + key +
                                       " --scheme chaos-henon:paper --roi selective --roi-network lung"),
                          2, out, "has no selective mode");
}

// `analyze --roi selective` reports what the background leaks and the speed, in the JSON and a note;
// without selective mode there is no such report.
TEST(RoiCli, AnalyzeReportsWhatSelectiveModeLeaks) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto xray = shared_data() / "png" / "00000001_000.png";
  auto r = run_medcrypt("analyze " + quote(xray) + " --scheme chaos-henon --roi selective --roi-network lung --json " +
                        quote(dir / "s.json") + " -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("note: selective mode: "), std::string::npos) << r.out;
  // The flipped key cannot open the sealed plan: the scheme itself refuses, as the container would.
  EXPECT_NE(r.out.find("decrypting with the flipped key was refused (authentication failed)"), std::string::npos)
      << r.out;
  const auto report = nlohmann::json::parse(std::ifstream(dir / "s.json"));
  const auto& s = report["images"][0]["selective"];
  ASSERT_TRUE(s.is_object()) << report.dump();
  // The lung fields of a chest X-ray are a part of it: the rest is background.
  EXPECT_GT(s["light_share"].get<double>(), 0.2);
  EXPECT_LT(s["light_share"].get<double>(), 0.9);
  // Against a uniform 8-bit cipher: entropy near 8, no correlation with the neighbour or the plain image.
  EXPECT_GT(s["light"]["cipher_entropy"].get<double>(), 7.99);
  EXPECT_LT(std::abs(s["light"]["cipher_correlation"].get<double>()), 0.02);
  EXPECT_LT(std::abs(s["light"]["plain_cipher_correlation"].get<double>()), 0.02);
  EXPECT_LT(s["light"]["plain_entropy"].get<double>(), 7.9);
  EXPECT_EQ(s["light"]["samples"].get<std::uint64_t>() + s["full"]["samples"].get<std::uint64_t>(), 512u * 512u);
  EXPECT_GT(s["speedup"].get<double>(), 0.0);
  EXPECT_GT(s["decrypt_speedup"].get<double>(), 0.0);

  r = run_medcrypt("analyze " + quote(xray) + " --scheme chaos-henon --roi full --roi-network lung --json " +
                   quote(dir / "f.json") + " -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(nlohmann::json::parse(std::ifstream(dir / "f.json"))["images"][0].contains("selective"));
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
