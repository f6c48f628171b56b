// `medcrypt classify`, `eval classifier` and `eval utility` end to end with the shipped pneumonia network:
// the figures `eval classifier --json` reports recomputed from its own scores by numpy
// (tests/metrics/classification_reference.py); lossless schemes' predictions equal the originals' in
// `eval utility --json`, and the HTML report holds the images; each kind of bad input is one line and a
// non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::filesystem::path kModels = std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models";
const std::filesystem::path kPneumonia = "train/kermany_pneumonia_cxr/images";

TEST(ClassifierCli, ClassifiesImagesAndPrintsJson) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const auto a = shared_data() / kPneumonia / "IM-0115-0001.png";  // labelled normal
  auto r = run_medcrypt("classify " + quote(a) + " " + quote(shared_data() / "png/00000001_000.png"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  EXPECT_NE(r.out.find("normal "), std::string::npos) << r.out;
  r = run_medcrypt("classify --json " + quote(a));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(json_keys(j), (std::set<std::string>{"model", "set", "classes", "images"}));
  EXPECT_EQ(j["classes"], (nlohmann::json{"normal", "pneumonia"}));
  const auto& scores = j["images"][0]["scores"];
  EXPECT_NEAR(scores[0].get<double>() + scores[1].get<double>(), 1.0, 1e-6);
}

TEST(ClassifierCli, EvalFiguresAgreeWithNumpyOnItsOwnScores) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  auto r = run_medcrypt("eval classifier --json --model " + quote(kModels / "classifier-pneumonia.weights") +
                        " --data " + quote(shared_data() / "train/kermany_pneumonia_cxr") + " --baseline-epochs 10");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["models"].size(), 3u);
  const auto& labels = j["labels"];
  for (const auto& model : j["models"]) {
    std::ofstream(dir / "request.json") << nlohmann::json{{"labels", labels}, {"scores", model["scores"]}, {"classes", 2}}.dump();
    const auto ref_run = run_command(system_python() + " " + quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/metrics/classification_reference.py") +
                                     " < " + quote(dir / "request.json"));
    ASSERT_EQ(ref_run.exit_code, 0) << ref_run.out;
    const auto ref = nlohmann::json::parse(ref_run.out);
    const auto& f = model["figures"];
    EXPECT_NEAR(f["accuracy"].get<double>(), ref["accuracy"].get<double>(), 1e-9) << model["name"];
    for (int k = 0; k < 2; ++k) {
      EXPECT_NEAR(f["average_precision"][k].get<double>(), ref["ap"][k].get<double>(), 1e-9) << model["name"];
      EXPECT_NEAR(f["auc"][k].get<double>(), ref["auc"][k].get<double>(), 1e-9) << model["name"];
    }
  }
  // The floors for the shipped network on the held-out patients.
  const auto& net = j["models"][0]["figures"];
  EXPECT_GE(net["accuracy"].get<double>(), 0.85);
  EXPECT_GE(net["roc_auc"].get<double>(), 0.90);
}

TEST(ClassifierCli, UtilityKeepsLosslessPredictionsAndWritesTheReport) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  auto r = run_medcrypt("eval utility --json --limit 6 --scheme aead --scheme 'zigzag-gan[speckle=0.04]' --html " +
                        quote(dir / "u.html") + " --data " + quote(shared_data() / "train/kermany_pneumonia_cxr"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  ASSERT_EQ(j["images"].size(), 6u);
  ASSERT_EQ(j["runs"].size(), 2u);
  const auto& aead = j["runs"][0];
  EXPECT_EQ(aead["identical"].get<int>(), 6);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(aead["images"][i]["scores"], j["images"][i]["scores"]);
  const auto& speckle = j["runs"][1];
  EXPECT_FALSE(speckle["lossless"].get<bool>());
  EXPECT_EQ(speckle["identical"].get<int>(), 0);
  std::ifstream html(dir / "u.html");
  const std::string text((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(text.find("decrypted: "), std::string::npos);
}

TEST(ClassifierCli, BadInputIsOneLine) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto xray = shared_data() / kPneumonia / "IM-0115-0001.png";
  expect_one_line_failure(run_medcrypt("classify " + quote(dir / "missing.png")), "missing.png");
  std::ofstream(dir / "text.png") << "not an image\n";
  expect_one_line_failure(run_medcrypt("classify " + quote(dir / "text.png")), "text.png");
  expect_one_line_failure(run_medcrypt("classify " + quote(shared_data() / "dicom/US-PAL-8-10x-echo.dcm")), "not palette images");
  expect_one_line_failure(run_medcrypt("classify --model " + quote(kModels / "roi-lung.weights") + " " + quote(xray)),
                          "not the classifier");
  // No --model and no shipped network: the CLI names the flag.
  expect_one_line_failure(run_command("MEDCRYPT_MODELS=" + quote(dir.path()) + " " + shell_quote(MEDCRYPT_CLI) + " classify " +
                                      quote(xray)),
                          "no classifier file named, and none shipped at " + (dir / "classifier-pneumonia.weights").string() +
                              "; name one with --model");
  // A truncated copy of the shipped weights.
  std::ifstream in(kModels / "classifier-pneumonia.weights", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.weights", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_one_line_failure(run_medcrypt("classify --model " + quote(dir / "cut.weights") + " " + quote(xray)), "cut.weights");
  expect_one_line_failure(run_medcrypt("eval utility --scheme demo-weak --limit 2"), "control");
  expect_one_line_failure(run_medcrypt("eval utility --scheme aead --html " + quote(dir.path()) + " --limit 2 --data " +
                                       quote(shared_data() / "train/kermany_pneumonia_cxr")), "is a folder");
  expect_one_line_failure(run_medcrypt("eval utility --scheme aead --noise gaussian=-1 --limit 2"), "positive number");
  expect_one_line_failure(run_medcrypt("train classifier --data " + quote(dir.path()) + " --set x --epochs 1 --out " +
                                       quote(dir / "x.weights")),
                          "not a labelled set");
  EXPECT_FALSE(std::filesystem::exists(dir / "x.weights"));
}

}  // namespace
}  // namespace medcrypt::test
