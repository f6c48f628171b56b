// `medcrypt analyze` end to end: the JSON keys the issue lists, CSV and HTML files, `--scheme all`, and
// errors (a bad file among good ones, an unknown scheme).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis_test_util.hpp"
#include "image/image_file.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::set<std::string> kCompareKeys = {"npcr",  "uaci", "npcr_critical", "uaci_critical", "npcr_pass",
                                            "uaci_pass", "mse", "rmse", "mae", "psnr", "ssim", "samples",
                                            "max_value", "channels"};

class AnalyzeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(image::write_image_file(dir / "grey.png", generated_image(128, 100, 1, 8, 0).image, image::FileFormat::kPng));
    ASSERT_TRUE(image::write_image_file(dir / "rgb.png", generated_image(96, 90, 3, 8, 1).image, image::FileFormat::kPng));
  }
  ScratchDir dir;
};

TEST_F(AnalyzeCli, JsonHasTheIssuesShape) {
  auto r = run_medcrypt("analyze " + quote(dir / "grey.png") + " " + quote(dir / "rgb.png") + " --scheme aead --json " +
                    quote(dir / "a.json") + " --csv " + quote(dir / "a.csv") + " --html " + quote(dir / "a.html") + " -j 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "a.json"));
  EXPECT_EQ(json_keys(j), (std::set<std::string>{"images", "summary"}));
  ASSERT_EQ(j["images"].size(), 2u);
  for (const auto& image : j["images"]) {
    EXPECT_EQ(json_keys(image), (std::set<std::string>{"file", "scheme", "geometry", "cipher_image", "plain", "cipher",
                                                  "plaintext_sensitivity", "key_sensitivity", "quality", "key_space_bits",
                                                  "timing", "notes"}));
    EXPECT_TRUE(image["cipher_image"].get<bool>());
    EXPECT_EQ(image["scheme"], "aead");
    EXPECT_TRUE(image["plain"].contains("channels"));
    EXPECT_TRUE(image["cipher"]["channels"][0].contains("local_entropy"));
    std::set<std::string> plaintext = kCompareKeys;
    plaintext.insert({"changed_sample", "test_mode"});
    EXPECT_EQ(json_keys(image["plaintext_sensitivity"]), plaintext);
    EXPECT_EQ(json_keys(image["key_sensitivity"]["cipher"]), kCompareKeys);
    EXPECT_TRUE(image["key_sensitivity"]["decrypt"].contains("rejected"));
    EXPECT_EQ(json_keys(image["quality"]), kCompareKeys);
    EXPECT_EQ(json_keys(image["timing"]),
              (std::set<std::string>{"encrypt_ms", "decrypt_ms", "encrypt_mb_s", "decrypt_mb_s", "runs", "threads"}));
    EXPECT_EQ(image["timing"]["threads"], 1);
    EXPECT_GE(image["notes"].size(), 3u);
  }
  EXPECT_EQ(j["images"][1]["cipher"]["channels"].size(), 3u);
  EXPECT_EQ(j["summary"]["aead"]["images"], 2);
  EXPECT_TRUE(j["summary"]["aead"]["figures"].contains("timing.encrypt_ms"));
  // The terminal table and the notes.
  for (const char* text : {"Scheme aead", "grey.png", "rgb.png", "NPCR %", "note: test mode", "no diffusion"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  std::ifstream csv(dir / "a.csv");
  std::string header, row;
  ASSERT_TRUE(std::getline(csv, header));
  EXPECT_EQ(header.rfind("file,scheme,", 0), 0u);
  int rows = 0;
  while (std::getline(csv, row)) rows += !row.empty();
  EXPECT_EQ(rows, 2);
  std::ifstream html(dir / "a.html");
  const std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("id=\"a1-scatter-cipher-c2-diagonal\""), std::string::npos);
}

TEST_F(AnalyzeCli, SchemeAllComparesEveryScheme) {
  auto r = run_medcrypt_with_torch("analyze " + quote(dir / "grey.png") + " --scheme all --json " + quote(dir / "all.json") +
                                   " -j 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "all.json"));
  std::set<std::string> analysed;
  for (const auto& image : j["images"]) analysed.insert(image["scheme"]);
  std::set<std::string> expected;
  std::set<std::string> without_cipher_image;
  for (const auto& info : schemes::builtin_registry().list()) {
    expected.insert(info.name);
    if (!info.exports_cipher_image) without_cipher_image.insert(info.name);
  }
  EXPECT_EQ(without_cipher_image, (std::set<std::string>{"ae-aes", "ae-aes:paper"}));
  EXPECT_EQ(analysed, expected);
  EXPECT_EQ(json_keys(j["summary"]), expected);
  for (const auto& image : j["images"]) {
    EXPECT_EQ(image["cipher_image"].get<bool>(), !without_cipher_image.contains(image["scheme"])) << image["scheme"];
    EXPECT_EQ(image.contains("cipher"), image["cipher_image"].get<bool>()) << image["scheme"];
  }
}

// A lossy scheme without a cipher image (paper 002's autoencoder): the analysis measures the image the
// recipient gets, and its SSIM is scikit-image's between the original and what `medcrypt decrypt` writes.
TEST(AnalyzeCliShared, ALossySchemeWithoutCipherImageIsMeasuredByWhatItDecrypts) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto original = shared_data() / "png/00000001_000.png";
  auto r = run_medcrypt_with_torch("analyze " + quote(original) + " --scheme ae-aes --json " + quote(dir / "a.json") +
                                   " --html " + quote(dir / "a.html") + " -j 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The table's cipher rows (over twenty) say so, beside the one note.
  std::size_t said = 0;
  for (auto at = r.out.find("no cipher image"); at != std::string::npos; at = r.out.find("no cipher image", at + 1)) ++said;
  EXPECT_GT(said, 20u) << r.out;
  EXPECT_NE(r.out.find("note: LOSSY: 'ae-aes'"), std::string::npos) << r.out;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "a.json"))["images"][0];
  EXPECT_FALSE(j["cipher_image"].get<bool>());
  for (const char* absent : {"cipher", "plaintext_sensitivity", "key_sensitivity"}) EXPECT_FALSE(j.contains(absent)) << absent;
  const double ssim = j["quality"]["ssim"].get<double>();
  EXPECT_GT(ssim, 0.8);
  EXPECT_LT(ssim, 1.0);

  ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "k.key")).exit_code, 0);
  ASSERT_EQ(run_medcrypt_with_torch("encrypt --scheme ae-aes --key " + quote(dir / "k.key") + " " + quote(original) + " -o " +
                         quote(dir / "x.mct")).exit_code, 0);
  ASSERT_EQ(run_medcrypt_with_torch("decrypt --key " + quote(dir / "k.key") + " " + quote(dir / "x.mct") + " -o " +
                         quote(dir / "x.png")).exit_code, 0);
  const auto reference = run_command(
      system_python() + " -c \"import sys, numpy as np; from PIL import Image; "
      "from skimage.metrics import structural_similarity as s; "
      "a, b = (np.asarray(Image.open(p)).astype(np.float64) for p in sys.argv[1:]); "
      "print(s(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255))\" " +
      quote(original) + " " + quote(dir / "x.png"));
  ASSERT_EQ(reference.exit_code, 0) << reference.out;
  EXPECT_NEAR(ssim, std::stod(reference.out), 1e-6);

  std::ifstream html(dir / "a.html");
  const std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("No cipher image: the scheme sends no pixels"), std::string::npos);
  EXPECT_EQ(page.find("histogram-cipher"), std::string::npos);
  std::size_t pictures = 0;
  for (auto at = page.find("data:image/png"); at != std::string::npos; at = page.find("data:image/png", at + 1)) ++pictures;
  EXPECT_EQ(pictures, 3u);  // plain, decrypted, difference
}

TEST_F(AnalyzeCli, ABadFileFailsWithItsCodeAndTheOthersAreStillAnalysed) {
  std::ofstream(dir / "broken.png") << "\x89PNG\r\n\x1a\n but nothing after";
  auto r = run_medcrypt("analyze " + quote(dir / "broken.png") + " " + quote(dir / "grey.png") + " --json " + quote(dir / "b.json") +
                    " -q");
  EXPECT_EQ(r.exit_code, 4) << r.out;  // invalid image
  EXPECT_NE(r.out.find("broken.png"), std::string::npos) << r.out;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "b.json"));
  ASSERT_EQ(j["images"].size(), 1u);
  EXPECT_NE(j["images"][0]["file"].get<std::string>().find("grey.png"), std::string::npos);
}

TEST_F(AnalyzeCli, UnknownSchemeIsAUsageError) {
  auto r = run_medcrypt("analyze " + quote(dir / "grey.png") + " --scheme nonsense");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown scheme 'nonsense'"), std::string::npos) << r.out;
  auto params = run_medcrypt("analyze " + quote(dir / "grey.png") + " --scheme all --scheme-params a=b");
  EXPECT_EQ(params.exit_code, 2) << params.out;
}

TEST(AnalyzeCliShared, SixteenBitCtThroughTheWholeAnalysis) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  auto r = run_medcrypt("analyze " + quote(shared_data() / "dicom/CT1_UNC.explicit_little_endian.dcm") + " --json " +
                    quote(dir / "ct.json") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json image = nlohmann::json::parse(std::ifstream(dir / "ct.json"))["images"][0];
  EXPECT_EQ(image["plain"]["max_value"], 65535);
  EXPECT_EQ(image["geometry"]["signed"], true);
  EXPECT_GT(image["cipher"]["channels"][0]["entropy_bytes"].get<double>(), 7.999);
  EXPECT_EQ(image["key_sensitivity"]["cipher"]["npcr_pass"]["0.05"], true);
  EXPECT_EQ(image["plaintext_sensitivity"]["npcr"].get<double>(), 100.0 / (512 * 512));
  EXPECT_EQ(image["quality"]["npcr"], 0.0);
}

}  // namespace
}  // namespace medcrypt::test
