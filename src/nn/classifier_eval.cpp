#include "nn/classifier_eval.hpp"

#include <algorithm>
#include <chrono>

namespace medcrypt::nn {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::vector<double>> classify_all(const ClassifierModel& model, const std::vector<ClassExample>& images) {
  const ClassifierConfig& c = model.config();
  std::vector<double> scores;
  constexpr std::size_t kBatch = 64;
  for (std::size_t first = 0; first < images.size(); first += kBatch) {
    const std::size_t last = std::min(images.size(), first + kBatch);
    std::vector<float> inputs;
    for (std::size_t i = first; i < last; ++i) {
      auto input = classifier_input(images[i].image, c.channels, c.side);
      if (!input) return make_error(input.error().code, images[i].file + ": " + input.error().message);
      inputs.insert(inputs.end(), input->begin(), input->end());
    }
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> p, model.probabilities(inputs, static_cast<int>(last - first)));
    scores.insert(scores.end(), p.begin(), p.end());
  }
  return scores;
}

Result<ClassifierStudy> study_classifier(const ClassifierModel& model, const ClassSet& set, const BaselineOptions& o) {
  const ClassifierConfig& c = model.config();
  if (c.classes != set.classes) {
    return make_error(ErrorCode::kUsage, "the classifier was trained for other classes than this set's (" + c.set + ")");
  }
  const int k = static_cast<int>(c.classes.size());
  ClassifierStudy study;
  study.classes = c.classes;
  study.split = set.split;
  for (const auto& e : set.test) {
    study.files.push_back(e.file);
    study.labels.push_back(e.label);
  }
  const auto score = [&](ScoredModel m) -> Result<ScoredModel> {
    MEDCRYPT_ASSIGN_OR_RETURN(m.figures, metrics::score_classification(study.labels, m.scores, k));
    return m;
  };

  auto start = std::chrono::steady_clock::now();
  ScoredModel network{"network (" + c.arch + ", " + std::to_string(c.side) + "x" + std::to_string(c.side) + ")", {}, {}, 0};
  MEDCRYPT_ASSIGN_OR_RETURN(network.scores, classify_all(model, set.test));
  network.seconds = seconds_since(start);
  MEDCRYPT_ASSIGN_OR_RETURN(ScoredModel scored_network, score(std::move(network)));
  study.models.push_back(std::move(scored_network));

  // Majority class of the training split: its score 1, the others 0.
  std::vector<std::size_t> count(k, 0);
  for (const auto& e : set.train) ++count[e.label];
  const auto majority = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
  ScoredModel constant{"majority class (" + c.classes[majority] + ")", std::vector<double>(set.test.size() * k, 0.0), {}, 0};
  for (std::size_t i = 0; i < set.test.size(); ++i) constant.scores[i * k + majority] = 1;
  MEDCRYPT_ASSIGN_OR_RETURN(ScoredModel scored_constant, score(std::move(constant)));
  study.models.push_back(std::move(scored_constant));

  start = std::chrono::steady_clock::now();
  ClassifierTrainOptions lo;
  lo.config = ClassifierConfig{"logistic", c.set, c.classes, c.channels, o.logistic_side, 8};
  lo.epochs = o.logistic_epochs;
  lo.learning_rate = 1e-3;
  lo.weight_decay = 1e-3;
  lo.augment = false;
  lo.seed = o.seed;
  lo.threads = o.threads;
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<ClassifierSample> samples, classifier_samples(set.train, c.channels, o.logistic_side));
  MEDCRYPT_ASSIGN_OR_RETURN(ClassifierTrainReport trained, train_classifier(samples, lo));
  MEDCRYPT_ASSIGN_OR_RETURN(ClassifierModel logistic, ClassifierModel::from_weights(trained.best));
  ScoredModel pixels{"logistic regression on " + std::to_string(o.logistic_side) + "x" + std::to_string(o.logistic_side) + " pixels", {}, {}, 0};
  MEDCRYPT_ASSIGN_OR_RETURN(pixels.scores, classify_all(logistic, set.test));
  pixels.seconds = seconds_since(start);
  MEDCRYPT_ASSIGN_OR_RETURN(ScoredModel scored_pixels, score(std::move(pixels)));
  study.models.push_back(std::move(scored_pixels));
  return study;
}

}  // namespace medcrypt::nn
