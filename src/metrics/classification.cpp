#include "metrics/classification.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace medcrypt::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Indices sorted by score, highest first.
std::vector<std::size_t> by_score_descending(std::span<const double> score) {
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  return order;
}

double mean_of_defined(const std::vector<double>& values) {
  double sum = 0;
  std::size_t n = 0;
  for (double v : values) {
    if (!std::isnan(v)) {
      sum += v;
      ++n;
    }
  }
  return n == 0 ? kNaN : sum / double(n);
}

}  // namespace

double average_precision(std::span<const double> score, std::span<const int> positive) {
  const auto positives = static_cast<std::size_t>(std::count(positive.begin(), positive.end(), 1));
  if (positives == 0 || positives == positive.size()) return kNaN;
  const std::vector<std::size_t> order = by_score_descending(score);
  double ap = 0, recall_before = 0;
  std::size_t true_pos = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    true_pos += positive[order[i]] == 1;
    // Images of equal score pass a threshold together: only the last of a tie closes a step.
    if (i + 1 < order.size() && score[order[i + 1]] == score[order[i]]) continue;
    const double recall = double(true_pos) / double(positives), precision = double(true_pos) / double(i + 1);
    ap += (recall - recall_before) * precision;
    recall_before = recall;
  }
  return ap;
}

double roc_auc(std::span<const double> score, std::span<const int> positive) {
  const auto positives = static_cast<std::size_t>(std::count(positive.begin(), positive.end(), 1));
  const std::size_t negatives = positive.size() - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  // Mann-Whitney U through average ranks (ascending, ties share their mean rank).
  std::vector<std::size_t> order = by_score_descending(score);
  std::reverse(order.begin(), order.end());
  double rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && score[order[j + 1]] == score[order[i]]) ++j;
    const double mean_rank = (double(i) + double(j)) / 2 + 1;
    for (std::size_t k = i; k <= j; ++k) rank_sum += positive[order[k]] == 1 ? mean_rank : 0;
    i = j + 1;
  }
  const double u = rank_sum - double(positives) * double(positives + 1) / 2;
  return u / (double(positives) * double(negatives));
}

int predicted_class(std::span<const double> row) {
  return static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
}

Result<ClassificationScores> score_classification(std::span<const int> labels, std::span<const double> scores,
                                                  int classes) {
  if (classes < 2 || labels.empty() || scores.size() != labels.size() * std::size_t(classes)) {
    return make_error(ErrorCode::kInternal, "classification: scores must hold one row of at least 2 classes per label");
  }
  for (double v : scores) {
    if (!std::isfinite(v)) return make_error(ErrorCode::kInternal, "classification: a score is not a finite number");
  }
  ClassificationScores out;
  out.images = labels.size();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes) {
      return make_error(ErrorCode::kInternal, "classification: label " + std::to_string(labels[i]) + " out of range");
    }
    correct += predicted_class(scores.subspan(i * classes, classes)) == labels[i];
  }
  out.accuracy = double(correct) / double(labels.size());
  std::vector<double> column(labels.size());
  std::vector<int> positive(labels.size());
  for (int k = 0; k < classes; ++k) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      column[i] = scores[i * classes + k];
      positive[i] = labels[i] == k;
    }
    out.average_precision.push_back(average_precision(column, positive));
    out.auc.push_back(roc_auc(column, positive));
  }
  out.mean_average_precision = mean_of_defined(out.average_precision);
  // Two classes: the usual binary AUC of the second (positive) class's score. Rounded probabilities
  // (float32 softmax saturating at 1) tie in one column and not in the other, so the two columns' AUCs
  // can differ slightly; scikit-learn's roc_auc_score(y, p[:, 1]) is the second.
  out.roc_auc = classes == 2 ? out.auc[1] : mean_of_defined(out.auc);
  return out;
}

}  // namespace medcrypt::metrics
