// Accuracy, per-class average precision, MAP and ROC AUC (metrics/classification.hpp): worked examples by
// hand, and random scores with ties against classification_reference.py (numpy, pairwise AUC).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "metrics/classification.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

TEST(Classification, WorkedBinaryExample) {
  // Scores of class 1 in descending order: 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.1 (neg).
  // AP = 1/2 * 1 + 1/2 * 2/3 = 5/6; AUC: of the 4 (pos, neg) pairs 3 are ordered rightly = 3/4.
  const std::vector<int> labels = {1, 0, 1, 0};
  const std::vector<double> scores = {0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.9, 0.1};
  auto s = metrics::score_classification(labels, scores, 2);
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->average_precision[1], 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(s->auc[1], 0.75, 1e-12);
  EXPECT_NEAR(s->auc[0], 0.75, 1e-12);  // complementary scores: the same ranking reversed
  EXPECT_NEAR(s->roc_auc, 0.75, 1e-12);  // two classes: class 1's AUC
  EXPECT_NEAR(s->accuracy, 0.75, 1e-12);  // the third image (0.7 for class 1, positive) right, the fourth wrong
}

TEST(Classification, TiesCloseOneStepAndCountHalf) {
  // Every score equal: one threshold, AP = the share of positives, AUC = 1/2.
  const std::vector<int> labels = {1, 0, 0, 1, 1};
  std::vector<double> scores(10, 0.5);
  auto s = metrics::score_classification(labels, scores, 2);
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->average_precision[1], 0.6, 1e-12);
  EXPECT_NEAR(s->auc[1], 0.5, 1e-12);
  EXPECT_EQ(s->accuracy, 0.4);  // ties go to class 0
}

TEST(Classification, AClassWithoutPositivesHasNoApAndIsLeftOutOfTheMeans) {
  const std::vector<int> labels = {0, 1, 0, 1};
  const std::vector<double> scores = {0.7, 0.2, 0.1, 0.2, 0.6, 0.3, 0.1, 0.3, 0.6, 0.4, 0.2, 0.4};
  auto s = metrics::score_classification(labels, scores, 3);
  ASSERT_TRUE(s);
  EXPECT_TRUE(std::isnan(s->average_precision[2]));
  EXPECT_TRUE(std::isnan(s->auc[2]));
  EXPECT_NEAR(s->mean_average_precision, (s->average_precision[0] + s->average_precision[1]) / 2, 1e-12);
}

TEST(Classification, RefusesMismatchedInput) {
  EXPECT_FALSE(metrics::score_classification(std::vector<int>{0, 1}, std::vector<double>{0.5, 0.5, 0.5}, 2));
  EXPECT_FALSE(metrics::score_classification(std::vector<int>{0, 2}, std::vector<double>{0.5, 0.5, 0.5, 0.5}, 2));
  EXPECT_FALSE(metrics::score_classification(std::vector<int>{}, std::vector<double>{}, 2));
  EXPECT_FALSE(metrics::score_classification(std::vector<int>{0, 1}, std::vector<double>{0.5, NAN, 0.5, 0.5}, 2));
}

TEST(Classification, AgreesWithNumpyOnRandomScoresWithTies) {
  std::mt19937_64 rng(7);
  for (int classes : {2, 3, 5}) {
    const std::size_t n = 400;
    std::vector<int> labels(n);
    std::vector<double> scores(n * classes);
    for (std::size_t i = 0; i < n; ++i) {
      labels[i] = static_cast<int>(rng() % classes);
      for (int k = 0; k < classes; ++k) {
        // Informative but noisy, rounded to 2 decimals so that ties are common.
        const double u = double(rng() % 1000) / 1000.0 + (k == labels[i] ? 0.4 : 0.0);
        scores[i * classes + k] = std::round(u * 100) / 100;
      }
    }
    auto s = metrics::score_classification(labels, scores, classes);
    ASSERT_TRUE(s);
    ScratchDir dir;
    std::ofstream(dir / "request.json") << nlohmann::json{{"labels", labels}, {"scores", scores}, {"classes", classes}}.dump();
    const auto r = run_command(system_python() + " " + quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/metrics/classification_reference.py") +
                               " < " + quote(dir / "request.json"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const nlohmann::json ref = nlohmann::json::parse(r.out);
    EXPECT_NEAR(s->accuracy, ref["accuracy"].get<double>(), 1e-12);
    for (int k = 0; k < classes; ++k) {
      EXPECT_NEAR(s->average_precision[k], ref["ap"][k].get<double>(), 1e-12) << "class " << k << " of " << classes;
      EXPECT_NEAR(s->auc[k], ref["auc"][k].get<double>(), 1e-12) << "class " << k << " of " << classes;
    }
    EXPECT_GT(s->roc_auc, 0.6);  // the scores carry the label: the figures are not at chance
  }
}

}  // namespace
}  // namespace medcrypt::test
