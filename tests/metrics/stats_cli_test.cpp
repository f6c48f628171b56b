// `medcrypt stats` and `medcrypt compare` end to end: the JSON keys other tools read, figures equal to the
// library's, the terminal tables, and the errors with their exit codes.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "image/image_file.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"
#include "metrics_test_util.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

// The keys the issue names, and the ones medcrypt adds beside them (docs/ANALYSIS.md).
const std::set<std::string> kChannelKeys = {
    "channel", "entropy", "entropy_bytes", "local_entropy", "local_entropy_blocks", "local_entropy_block_pixels",
    "local_entropy_critical", "local_entropy_pass", "chi_square", "chi_square_p", "chi_square_critical",
    "chi_square_pass", "correlation", "correlation_sampled"};
const std::set<std::string> kCompareKeys = {"npcr", "uaci", "npcr_critical", "uaci_critical", "npcr_pass",
                                            "uaci_pass", "mse", "rmse", "mae", "psnr", "ssim", "samples"};
const std::set<std::string> kDirectionKeys = {"horizontal", "vertical", "diagonal"};
const std::set<std::string> kLevelKeys = {"0.05", "0.01", "0.001"};

class StatsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    grey = make_image(96, 64, 8, [](std::size_t i) { return (i % 96) * 2 + (i / 96) % 3; });
    rgb = make_image(64, 48, 8, [](std::size_t i) { return (i * 7) % 256; }, 3);
    ASSERT_TRUE(image::write_image_file(dir / "grey.png", grey, image::FileFormat::kPng));
    ASSERT_TRUE(image::write_image_file(dir / "rgb.png", rgb, image::FileFormat::kPng));
  }
  ScratchDir dir;
  image::Image grey, rgb;
};

TEST_F(StatsCli, StatsJsonHasTheIssuesKeysAndTheLibrarysFigures) {
  auto r = run_medcrypt("stats " + quote(dir / "rgb.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(json_keys(j), (std::set<std::string>{"channels", "file", "max_value", "sampled_pairs", "seed"}));
  ASSERT_EQ(j["channels"].size(), 3u);
  const metrics::ImageStats expected = metrics::image_stats(rgb);
  for (std::size_t c = 0; c < 3; ++c) {
    const nlohmann::json& ch = j["channels"][c];
    EXPECT_EQ(json_keys(ch), kChannelKeys);
    EXPECT_EQ(json_keys(ch["correlation"]), kDirectionKeys);
    EXPECT_EQ(json_keys(ch["correlation_sampled"]), kDirectionKeys);
    EXPECT_EQ(json_keys(ch["chi_square_pass"]), kLevelKeys);
    EXPECT_EQ(json_keys(ch["local_entropy_critical"]["0.05"]), (std::set<std::string>{"low", "high"}));
    EXPECT_EQ(ch["channel"], expected.channels[c].name);
    EXPECT_EQ(ch["entropy"].get<double>(), expected.channels[c].entropy);
    EXPECT_EQ(ch["chi_square_p"].get<double>(), expected.channels[c].chi_square.p_value);
    EXPECT_EQ(ch["correlation"]["vertical"].get<double>(), expected.channels[c].correlation[metrics::Direction::kVertical]);
  }
}

TEST_F(StatsCli, UndefinedFiguresAreNull) {
  ASSERT_TRUE(image::write_image_file(dir / "flat.png", make_image(50, 50, 8, [](std::size_t) { return 9; }),
                                      image::FileFormat::kPng));
  auto r = run_medcrypt("stats " + quote(dir / "flat.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json ch = nlohmann::json::parse(r.out)["channels"][0];
  EXPECT_EQ(ch["entropy"], 0.0);
  EXPECT_TRUE(ch["correlation"]["horizontal"].is_null());
  EXPECT_TRUE(ch["correlation_sampled"]["diagonal"].is_null());
}

TEST_F(StatsCli, SeedAndPairsChangeTheSample) {
  auto a = nlohmann::json::parse(run_medcrypt("stats " + quote(dir / "grey.png") + " --json --seed 5 --pairs 300").out);
  auto b = nlohmann::json::parse(run_medcrypt("stats " + quote(dir / "grey.png") + " --json --seed 6 --pairs 300").out);
  EXPECT_EQ(a["sampled_pairs"], 300);
  EXPECT_EQ(a["seed"], 5);
  EXPECT_NE(a["channels"][0]["correlation_sampled"], b["channels"][0]["correlation_sampled"]);
  EXPECT_EQ(a["channels"][0]["correlation"], b["channels"][0]["correlation"]);
}

TEST_F(StatsCli, CompareJsonHasTheIssuesKeys) {
  const image::Image other = make_image(64, 48, 8, [](std::size_t i) { return (i * 7 + i % 5) % 256; }, 3);
  ASSERT_TRUE(image::write_image_file(dir / "other.png", other, image::FileFormat::kPng));
  auto r = run_medcrypt("compare " + quote(dir / "rgb.png") + " " + quote(dir / "other.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::set<std::string> top = kCompareKeys;
  top.insert({"max_value", "channels"});
  EXPECT_EQ(json_keys(j), top);
  EXPECT_EQ(json_keys(j["npcr_critical"]), kLevelKeys);
  EXPECT_EQ(json_keys(j["uaci_critical"]["0.01"]), (std::set<std::string>{"low", "high"}));
  ASSERT_EQ(j["channels"].size(), 3u);
  std::set<std::string> per_channel = kCompareKeys;
  per_channel.insert("channel");
  EXPECT_EQ(json_keys(j["channels"][0]), per_channel);
  const metrics::ImageComparison expected = metrics::compare_images(rgb, other).value();
  EXPECT_EQ(j["npcr"].get<double>(), expected.overall.differential.npcr);
  EXPECT_EQ(j["ssim"].get<double>(), expected.overall.ssim);
  EXPECT_EQ(j["channels"][2]["mse"].get<double>(), expected.channels[2].error.mse);
}

TEST_F(StatsCli, CompareWithItselfHasNullPsnr) {
  auto r = run_medcrypt("compare " + quote(dir / "grey.png") + " " + quote(dir / "grey.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["npcr"], 0.0);
  EXPECT_EQ(j["uaci"], 0.0);
  EXPECT_EQ(j["mse"], 0.0);
  EXPECT_TRUE(j["psnr"].is_null());
  EXPECT_EQ(j["ssim"], 1.0);
}

TEST_F(StatsCli, TablesForTheTerminal) {
  auto s = run_medcrypt("stats " + quote(dir / "rgb.png"));
  ASSERT_EQ(s.exit_code, 0) << s.out;
  for (const char* word : {"entropy", "chi-square", "horizontal", "R", "G", "B", "FAIL"}) {
    EXPECT_NE(s.out.find(word), std::string::npos) << word << "\n" << s.out;
  }
  auto c = run_medcrypt("compare " + quote(dir / "grey.png") + " " + quote(dir / "grey.png"));
  ASSERT_EQ(c.exit_code, 0) << c.out;
  for (const char* word : {"NPCR %", "UACI %", "PSNR dB", "inf", "SSIM"}) {
    EXPECT_NE(c.out.find(word), std::string::npos) << word << "\n" << c.out;
  }
}

TEST_F(StatsCli, ErrorsAreOneLineWithTheirExitCode) {
  auto geometry = run_medcrypt("compare " + quote(dir / "grey.png") + " " + quote(dir / "rgb.png") + " --json");
  EXPECT_EQ(geometry.exit_code, 2) << geometry.out;
  EXPECT_EQ(geometry.out.rfind("medcrypt: error: the images differ in geometry", 0), 0u) << geometry.out;
  EXPECT_EQ(std::count(geometry.out.begin(), geometry.out.end(), '\n'), 1);

  auto missing = run_medcrypt("stats " + quote(dir / "nothing.png"));
  EXPECT_EQ(missing.exit_code, 3) << missing.out;
  std::ofstream(dir / "garbage.png") << "not an image at all";
  auto garbage = run_medcrypt("compare " + quote(dir / "garbage.png") + " " + quote(dir / "grey.png"));
  EXPECT_EQ(garbage.exit_code, 5) << garbage.out;
  EXPECT_NE(garbage.out.find("garbage.png"), std::string::npos) << garbage.out;
  auto pairs = run_medcrypt("stats " + quote(dir / "grey.png") + " --pairs 1");
  EXPECT_EQ(pairs.exit_code, 2) << pairs.out;
}

TEST(StatsCliShared, CipherImageOfASharedCtIsUniform) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "k.key")).exit_code, 0);
  auto enc = run_medcrypt("encrypt " + quote(shared_data() / "dicom/CT1_UNC.explicit_little_endian.dcm") + " -o " +
                      quote(dir / "ct.mct") + " --key " + quote(dir / "k.key") + " --emit-cipher-image " + quote(dir / "c.png") +
                      " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  auto r = run_medcrypt("stats " + quote(dir / "c.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json ch = nlohmann::json::parse(r.out)["channels"][0];
  // 262144 samples over 65536 values, each about 4 times: about 15.81 bits, not 16.
  EXPECT_NEAR(ch["entropy"].get<double>(), 15.81, 0.01);
  EXPECT_GT(ch["entropy_bytes"].get<double>(), 7.999);
  EXPECT_LT(std::abs(ch["correlation"]["horizontal"].get<double>()), 0.01);
}

}  // namespace
}  // namespace medcrypt::test
