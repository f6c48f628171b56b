// How well a classifier's scores match the true labels: accuracy, per-class average precision (AP), their
// mean (MAP) and the area under the ROC curve, with the definitions scikit-learn uses, so that a figure can
// be recomputed from the scores medcrypt writes (docs/MODELS.md):
//   AP of class k = sum over distinct score thresholds t (descending) of (R(t) - R(t_prev)) * P(t), where
//     an image is called k when its score for k is >= t; no interpolation;
//   AUC of class k = P(score of a k image > score of a non-k image) + 0.5 P(equal) (Mann-Whitney);
//   MAP = the unweighted mean of the APs over the classes that have both positives and negatives;
//   ROC AUC = for two classes the AUC of class 1 (scikit-learn's roc_auc_score(y, p[:, 1])), for more the
//     unweighted mean over the classes (one versus rest, macro).
#pragma once

#include <span>
#include <vector>

#include "core/result.hpp"

namespace medcrypt::metrics {

struct ClassificationScores {
  std::size_t images = 0;
  double accuracy = 0;                     // argmax of the scores (lowest class on ties) against the label
  std::vector<double> average_precision;   // per class; NaN where the class has no positive or no negative
  std::vector<double> auc;                 // per class, likewise
  double mean_average_precision = 0;       // NaN when no class qualifies
  double roc_auc = 0;
};

// `scores` holds labels.size() rows of `classes` finite values; labels in [0, classes).
Result<ClassificationScores> score_classification(std::span<const int> labels, std::span<const double> scores,
                                                  int classes);

// One class against the rest: `positive[i]` is 1 where image i belongs to it. NaN without both kinds.
double average_precision(std::span<const double> score, std::span<const int> positive);
double roc_auc(std::span<const double> score, std::span<const int> positive);

// The class with the highest score (the lowest index on ties).
int predicted_class(std::span<const double> row);

}  // namespace medcrypt::metrics
