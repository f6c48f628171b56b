// The analysis reports: JSON keys and summary, CSV, and the tables' shape.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "analysis/report_json.hpp"
#include "analysis/report_tables.hpp"
#include "analysis_test_util.hpp"
#include "metrics/json.hpp"
#include "support/test_support.hpp"
#include "xor_test_scheme.hpp"

namespace medcrypt::test {
namespace {

class Reports : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto scheme = schemes::builtin_registry().create("aead").value();
    analyses_ = new std::vector<analysis::ImageAnalysis>;
    analyses_->push_back(analysis_of(generated_image(120, 100, 1, 8, 0), "grey,1.png", *scheme, schemes::builtin_registry()));
    analyses_->push_back(analysis_of(generated_image(100, 90, 3, 8, 1), "colour.png", *scheme, schemes::builtin_registry()));
    analyses_->push_back(analysis_of(generated_image(90, 90, 1, 12, 2), "ct12.dcm", *scheme, schemes::builtin_registry()));
  }
  static void TearDownTestSuite() { delete analyses_; }
  static std::vector<analysis::ImageAnalysis>* analyses_;
};
std::vector<analysis::ImageAnalysis>* Reports::analyses_ = nullptr;

TEST_F(Reports, ImageJsonHasTheIssuesKeys) {
  const nlohmann::json j = analysis::to_json((*analyses_)[0]);
  EXPECT_EQ(json_keys(j), (std::set<std::string>{"file", "scheme", "geometry", "cipher_image", "plain", "cipher",
                                            "plaintext_sensitivity", "key_sensitivity", "quality", "key_space_bits",
                                            "timing", "notes"}));
  EXPECT_EQ(j["file"], "grey,1.png");
  EXPECT_EQ(j["scheme"], "aead");
  EXPECT_EQ(j["key_space_bits"], 256.0);
  EXPECT_EQ(json_keys(j["timing"]),
            (std::set<std::string>{"encrypt_ms", "decrypt_ms", "encrypt_mb_s", "decrypt_mb_s", "runs", "threads"}));
  EXPECT_EQ(json_keys(j["key_sensitivity"]), (std::set<std::string>{"flipped_bit", "test_mode", "cipher", "decrypt"}));
  // aead refuses the flipped key: a refusal, not invented figures.
  EXPECT_EQ(json_keys(j["key_sensitivity"]["decrypt"]), (std::set<std::string>{"rejected", "error"}));
  EXPECT_EQ(j["key_sensitivity"]["decrypt"]["error"], "wrong key");
  // The compare objects and stats objects are those of `compare` and `stats`.
  EXPECT_EQ(j["quality"], metrics::to_json((*analyses_)[0].quality));
  EXPECT_EQ(j["plain"], metrics::to_json((*analyses_)[0].plain));
  EXPECT_TRUE(j["quality"]["psnr"].is_null());
  EXPECT_EQ(j["quality"]["mse"], 0.0);
  EXPECT_EQ(j["plaintext_sensitivity"]["test_mode"], true);
  EXPECT_TRUE(j["plaintext_sensitivity"].contains("npcr_critical"));
  EXPECT_EQ(j["cipher"]["channels"].size(), 1u);
  EXPECT_EQ(analysis::to_json((*analyses_)[1])["cipher"]["channels"].size(), 3u);
}

TEST_F(Reports, SummaryHoldsMeanStdMinMaxOfEveryFigure) {
  const nlohmann::json report = analysis::report_json(*analyses_);
  EXPECT_EQ(json_keys(report), (std::set<std::string>{"images", "summary"}));
  ASSERT_EQ(report["images"].size(), 3u);
  const nlohmann::json& aead = report["summary"]["aead"];
  EXPECT_EQ(aead["images"], 3);
  std::vector<double> entropy;
  for (const auto& a : *analyses_) entropy.push_back(a.cipher.channels[0].entropy);
  const double mean = (entropy[0] + entropy[1] + entropy[2]) / 3;
  double squares = 0;
  for (double e : entropy) squares += (e - mean) * (e - mean);
  const nlohmann::json& f = aead["figures"]["cipher.channels.0.entropy"];
  EXPECT_EQ(json_keys(f), (std::set<std::string>{"mean", "std", "min", "max"}));
  EXPECT_DOUBLE_EQ(f["mean"].get<double>(), mean);
  EXPECT_DOUBLE_EQ(f["std"].get<double>(), std::sqrt(squares / 2));
  EXPECT_EQ(f["min"].get<double>(), *std::min_element(entropy.begin(), entropy.end()));
  EXPECT_EQ(f["max"].get<double>(), *std::max_element(entropy.begin(), entropy.end()));
  // Only the colour image has a third channel; a pass flag averages to a pass rate.
  EXPECT_EQ(aead["figures"]["cipher.channels.2.entropy"]["min"], aead["figures"]["cipher.channels.2.entropy"]["max"]);
  EXPECT_TRUE(aead["figures"]["cipher.channels.2.entropy"]["std"].is_null());
  const double rate = aead["figures"]["key_sensitivity.cipher.npcr_pass.0.05"]["mean"].get<double>();
  EXPECT_GE(rate, 0);
  EXPECT_LE(rate, 1);
  EXPECT_FALSE(aead["figures"].contains("quality.psnr"));  // null everywhere: lossless
}

TEST_F(Reports, CsvHasOneRowPerImageAndTheFlatKeys) {
  const std::string csv = analysis::report_csv(*analyses_);
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < csv.size();) {
    const std::size_t end = csv.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    lines.push_back(csv.substr(start, end - start));
    start = end + 2;
  }
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("file,scheme,", 0), 0u);
  EXPECT_EQ(lines[1].rfind("\"grey,1.png\",aead,", 0), 0u) << lines[1];  // RFC 4180 quoting
  EXPECT_NE(lines[0].find(",cipher.channels.0.correlation.horizontal,"), std::string::npos);
  EXPECT_NE(lines[0].find(",timing.encrypt_mb_s"), std::string::npos);
  EXPECT_EQ(lines[0].find("notes"), std::string::npos);
  // Every row has as many cells as the header (the quoted comma is one cell).
  auto cells = [](const std::string& line) {
    std::size_t n = 1;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      n += c == ',' && !quoted;
    }
    return n;
  };
  for (const auto& line : lines) EXPECT_EQ(cells(line), cells(lines[0]));
}

TEST_F(Reports, FlattenNamesNestedKeysAndKeepsNulls) {
  const auto flat = analysis::flatten({{"a", {{"b", 1}, {"c", nullptr}}}, {"d", {{{"e", true}}, 2}}});
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[0].first, "a.b");
  EXPECT_TRUE(flat[1].second.is_null());
  EXPECT_EQ(flat[2].first, "d.0.e");
  EXPECT_EQ(flat[3].first, "d.1");
}

TEST_F(Reports, AnalysisTableColumnsAreImagesSummaryOrSchemes) {
  const analysis::Table images = analysis::analysis_table(*analyses_);
  EXPECT_EQ(images.columns, (std::vector<std::string>{"figure", "grey,1.png", "colour.png", "ct12.dcm"}));
  std::vector<analysis::ImageAnalysis> many(*analyses_);
  many.insert(many.end(), analyses_->begin(), analyses_->end());
  EXPECT_EQ(analysis::analysis_table(many).columns, (std::vector<std::string>{"figure", "mean", "std", "min", "max"}));

  const schemes::SchemeRegistry registry = registry_with_xor_test_scheme();
  std::vector<analysis::ImageAnalysis> two_schemes(*analyses_);
  const auto xor_scheme = registry.create("xor-test").value();
  two_schemes.push_back(analysis_of(generated_image(120, 100, 1, 8, 0), "grey.png", *xor_scheme, registry));
  const analysis::Table schemes_table = analysis::analysis_table(two_schemes);
  EXPECT_EQ(schemes_table.columns, (std::vector<std::string>{"figure", "aead", "xor-test"}));
  const std::string text = analysis::render_text(schemes_table);
  // Every figure of the papers' Tables 1-6 has a row; the refusal and the key space show as such.
  for (const char* row : {"Entropy (bits)", "local entropy test", "Histogram (chi-square)", "Correlation, cipher",
                          "Plaintext sensitivity", "Key sensitivity: decrypted with the flipped key", "rejected",
                          "PSNR dB", "SSIM", "key space (bits)", "256", "128", "encrypt MB/s"}) {
    EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
  }
}

TEST(TextTable, AlignsColumnsAndEscapesHtml) {
  analysis::Table t;
  t.title = "T";
  t.columns = {"figure", "a", "b<c"};
  t.add_section("Section");
  t.add_row({"x", "1.5", "22"});
  t.add_row({"longer label", "333.25", "4"});
  const std::string text = analysis::render_text(t);
  // Labels padded to the longest (plus the indent under a section), figures right-aligned.
  EXPECT_NE(text.find("\n  x                1.5   22  \n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  longer label  333.25    4  \n"), std::string::npos) << text;
  const std::string html = analysis::render_html(t);
  EXPECT_NE(html.find("<th>b&lt;c</th>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr class=\"section\"><th colspan=\"3\">Section</th></tr>"), std::string::npos) << html;
}

}  // namespace
}  // namespace medcrypt::test
